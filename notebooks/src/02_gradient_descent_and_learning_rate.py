# %% [markdown]
# # 2. Gradient descent and the learning rate
#
# The gradient says which way the loss goes *up* fastest. **Gradient descent** takes a small
# step the other way, again and again:
#
# $$w \leftarrow w - \eta \, \frac{\partial L}{\partial w}$$
#
# The step size $\eta$ is the **learning rate**, the most important knob of training. Too
# small and training crawls; too large and it overshoots, bounces, and can **diverge** (the loss
# grows without bound). This notebook shows all three on loss surfaces you can see.

# %%
import matplotlib.pyplot as plt
import numpy as np

from autograd import Value
from nn import SGD, gradient_descent_path, plot_loss_surface

# %% [markdown]
# ## One parameter
#
# Start with the simplest loss there is, a parabola with its minimum at $w = 3$:
# $L(w) = (w - 3)^2$. Its derivative is $L'(w) = 2(w - 3)$. Here are a few steps of gradient
# descent written out, with the engine computing the gradient:


# %%
def loss_1d(w):
    return (w - 3) ** 2


w = Value(0.0, label="w")
lr = 0.1
for step in range(5):
    w.grad = 0.0  # forget the previous gradient
    loss = loss_1d(w)
    loss.backward()  # dL/dw into w.grad
    print(f"step {step}: w = {w.data:.4f}  loss = {loss.data:.4f}  dL/dw = {w.grad:.4f}")
    w.data -= lr * w.grad  # the update: w = w - lr * dL/dw

# %% [markdown]
# `gradient_descent_path` runs that loop (with the `SGD` optimizer) and returns the points it
# visited. Four learning rates, 20 steps each, one panel each (on a single plot the paths hide
# one another); the square marks the start, the colour goes from dark (first steps) to light:

# %%
rates = {"lr = 0.02 (too small)": 0.02, "lr = 0.3 (good)": 0.3, "lr = 0.9": 0.9, "lr = 1.1": 1.1}
paths = {
    name: gradient_descent_path(loss_1d, start=0.0, lr=lr, steps=20) for name, lr in rates.items()
}
for name, path in paths.items():
    print(f"{name:22s} w after {len(path) - 1} steps: {path[-1]: .4g}")

grid = np.linspace(-4, 10, 300)
fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), sharey=True)
for ax, (name, path) in zip(axes, paths.items()):
    shown = np.clip(path, -4, 10)  # a diverging path leaves the plot: pin it to the edge
    ax.plot(grid, loss_1d(grid), color="0.6")
    ax.plot(shown, loss_1d(shown), color="0.3", lw=0.8)
    ax.scatter(shown, loss_1d(shown), c=np.arange(len(path)), cmap="viridis", s=18, zorder=3)
    ax.plot(path[0], loss_1d(path[0]), "ks", markersize=7)
    ax.set_title(name)
    ax.set_xlabel("w")
    ax.set_ylim(-2, 60)
axes[0].set_ylabel("loss")
plt.show()

# %% [markdown]
# * With **lr = 0.02** each step is tiny: after 20 steps we are not even halfway.
# * With **lr = 0.3** the descent reaches the minimum within a few steps.
# * With **lr = 0.9** each step jumps *over* the minimum to the other side; the jumps shrink,
#   so it still converges, slowly and bouncing.
# * With **lr = 1.1** each jump lands further away than the last: the descent **diverges**.
#
# The loss at each step makes this plain (a log scale, so a straight line means a constant
# factor per step):

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, path in paths.items():
    ax.semilogy([loss_1d(w) for w in path], marker="o", markersize=3, label=name)
ax.set_xlabel("step")
ax.set_ylabel("loss")
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ### Why 1.0 is the limit here
#
# For this parabola the update is $w - 3 \leftarrow (w - 3) - \eta \cdot 2 (w - 3)
# = (1 - 2\eta)(w - 3)$: every step multiplies the distance to the minimum by $1 - 2\eta$.
#
# * $0 < \eta < 0.5$: the factor is between 0 and 1, a smooth approach;
# * $\eta = 0.5$: the factor is 0, one step lands exactly on the minimum;
# * $0.5 < \eta < 1$: the factor is negative, the descent overshoots and bounces;
# * $\eta > 1$: $|1 - 2\eta| > 1$, the distance grows every step: divergence.
#
# The 2 in $1 - 2\eta$ is the **curvature** $L''(w)$. For any loss that is roughly a bowl near
# its minimum, with curvature $\lambda$, gradient descent converges only when
# $\eta < 2 / \lambda$. Steep, sharply curved losses need small learning rates. (Notebook 7
# measures the curvature of a real network's loss with its Hessian.)

# %% [markdown]
# ## Two parameters: a line through data
#
# Now a real model: fit a line $\hat y = w x + b$ to 20 points by minimising the **mean squared
# error** $L(w, b) = \frac{1}{n}\sum_i (w x_i + b - y_i)^2$. With two parameters the loss is a
# surface; we draw it as a contour map (each curve joins points of equal loss, like a
# hiking map) and the descent as a path across it.

# %%
rng = np.random.default_rng(0)
xs = np.linspace(0, 4, 20)
ys = 2 * xs + 1 + rng.normal(scale=0.5, size=xs.size)  # the truth: w = 2, b = 1, plus noise


def make_mse(xs, ys):
    """The MSE of the line (w, b) on the points (xs, ys). The same code runs on Values (for
    gradients) and on NumPy arrays of (w, b) values (to draw the surface)."""
    pairs = list(zip(xs.tolist(), ys.tolist()))

    def mse(w, b):
        return sum((w * x + b - y) ** 2 for x, y in pairs) / len(pairs)

    return mse


def show_surface(loss_fn, paths, title, bounds=((-2, 5), (-3, 6))):
    """plot_loss_surface, with the axes named after our two parameters."""
    fig = plot_loss_surface(loss_fn, bounds=bounds, paths=paths, title=title)
    fig.axes[0].set_xlabel("w (slope)")
    fig.axes[0].set_ylabel("b (intercept)")
    return fig


mse = make_mse(xs, ys)
start = (-1.0, 4.0)
paths = {  # the good one last, so that it is drawn on top
    "lr = 0.01 (too small)": gradient_descent_path(mse, start, lr=0.01, steps=40),
    "lr = 0.17 (too large)": gradient_descent_path(mse, start, lr=0.17, steps=12),
    "lr = 0.15": gradient_descent_path(mse, start, lr=0.15, steps=40),
}
for name, path in paths.items():
    w, b = path[-1]
    steps = len(path) - 1
    print(f"{name:22s} after {steps} steps: w = {w: .3f}, b = {b: .3f}, loss = {mse(w, b):.4g}")
show_surface(mse, paths, "MSE of a line")

# %% [markdown]
# The valley is long and narrow: the loss is steep across it and nearly flat along it. The
# learning rate has to be small enough for the *steep* direction (or the descent zig-zags
# across the valley and then blows up, as lr = 0.17 does within 12 steps), and then progress
# along the *flat* direction is slow. The ratio of the two curvatures (the **condition
# number**) decides how hard the problem is for plain gradient descent.
#
# The curvatures are the eigenvalues of the matrix of second derivatives (the Hessian). For the
# MSE of a line that matrix is $2\begin{pmatrix}\overline{x^2} & \bar x\\ \bar x & 1
# \end{pmatrix}$, so we can compute them directly:

# %%
hessian = 2 * np.array([[np.mean(xs**2), np.mean(xs)], [np.mean(xs), 1.0]])
curvatures = np.linalg.eigvalsh(hessian)
print("curvatures:", np.round(curvatures, 3))
print(
    f"condition number {curvatures[1] / curvatures[0]:.1f}; "
    f"largest stable learning rate 2 / {curvatures[1]:.3f} = {2 / curvatures[1]:.3f}"
)

# %% [markdown]
# ## A rounder bowl: centre the input
#
# The valley is narrow because $x$ is always positive, which ties $w$ and $b$ together. Shifting
# $x$ to mean 0 (**feature scaling**, a standard preprocessing step) makes $\bar x = 0$: the
# two directions decouple, the bowl becomes rounder and a single learning rate suits both.

# %%
centred = make_mse(xs - xs.mean(), ys)
rates = {"lr = 0.05": 0.05, "lr = 0.3": 0.3}
paths = {name: gradient_descent_path(centred, start, lr=lr, steps=40) for name, lr in rates.items()}
for name, path in paths.items():
    w, b = path[-1]
    print(f"{name:10s} after 40 steps: w = {w: .3f}, b = {b: .3f}, loss = {centred(w, b):.4g}")
show_surface(centred, paths, "MSE, centred x", bounds=((-2, 5), (-3, 9)))

# %% [markdown]
# ## A heavier ball: momentum
#
# Another fix keeps the narrow valley but changes the optimizer. **Momentum** keeps a running
# sum of past gradients (a velocity): the zig-zag components across the valley cancel out,
# while the steady component along the valley builds up. `gradient_descent_path` takes any
# optimizer and its options:

# %%
paths = {
    "plain, lr = 0.01": gradient_descent_path(mse, start, lr=0.01, steps=60),
    "momentum 0.9, lr = 0.01": gradient_descent_path(
        mse, start, lr=0.01, steps=60, optimizer=SGD, momentum=0.9
    ),
}
for name, path in paths.items():
    print(f"{name:24s} loss after 60 steps: {mse(*path[-1]):.4g}")
show_surface(mse, paths, "plain gradient descent and momentum")

# %% [markdown]
# ### The same descent, step by step
#
# `animate_descent` draws the surface once and grows each path one step per frame (one frame
# per point of the longest path). `animation_html(anim)` makes a
# player that needs no ffmpeg and nothing from the network.

# %%
from IPython.display import HTML

from nn import animate_descent, animation_html

short = {name: path[:25] for name, path in paths.items()}
anim = animate_descent(mse, short, resolution=60, interval=150,
                       axis_labels=("w (slope)", "b (intercept)"))  # as in the figures above
HTML(animation_html(anim))

# %% [markdown]
# ## What to remember
#
# * Gradient descent: $w \leftarrow w - \eta \nabla L$, repeated.
# * Too small a learning rate wastes steps; too large a one overshoots, then diverges.
# * The limit is set by the **curvature**: $\eta < 2/\lambda_{\max}$. The speed along flat
#   directions is set by the smallest curvature; their ratio makes a problem easy or hard.
# * Scaling the inputs and using momentum both help with narrow valleys.
#
# **Try it:** find the largest learning rate that still converges for the centred problem.
# Compare it with $2/\lambda_{\max}$ computed as above with `xs - xs.mean()`.
