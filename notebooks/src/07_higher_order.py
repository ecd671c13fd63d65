# %% [markdown]
# # 7. Higher-order derivatives: Newton's method and the curvature of a loss
#
# The gradient tells you which way is downhill. The **second derivative** tells you how the
# slope itself changes: the **curvature**. Notebook 2 found that the curvature decides which
# learning rates work. Here we compute second derivatives with the engine and put them to use:
#
# 1. derivatives of derivatives (`create_graph=True`, `grad(grad(f))`);
# 2. **Newton's method**, which uses the curvature to choose its steps, against gradient
#    descent;
# 3. the **Hessian** (the matrix of all second derivatives) of a small network's loss: its
#    eigenvalues, and what they say about the learning rate;
# 4. **Hessian-vector products**, to get at the curvature without forming the Hessian.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

import nn
from autograd import Value, hessian, hvp, value_and_grad
from autograd.functional import grad
from nn import gradient_descent_path, plot_loss_surface

# %% [markdown]
# ## Derivatives of derivatives
#
# An ordinary backward pass puts plain numbers in `.grad`. With `create_graph=True` the
# backward pass is itself recorded as a graph, so the gradient is a `Value` that can be
# differentiated again. For $y = x^3$ at $x = 3$: $y' = 3x^2 = 27$, $y'' = 6x = 18$.

# %%
x = Value(3.0, label="x")
y = x**3
y.backward(create_graph=True)
first = x.grad  # a Value, with a graph of its own
print("dy/dx   =", first)
x.grad = 0.0  # start a fresh accumulation for the second backward pass
first.backward()
print("d2y/dx2 =", x.grad)

# %% [markdown]
# The functional style says the same thing more briefly: `grad(f)` is a new function, the
# derivative of `f`, and it can be differentiated again, to any order.


# %%
def cube(x):
    return x**3


print("f'(3) =", grad(cube)(3.0).data)
print("f''(3) =", grad(grad(cube))(3.0).data)
print("f'''(3) =", grad(grad(grad(cube)))(3.0).data)

# %% [markdown]
# ## Newton's method
#
# Near a point $w$, a function looks like a parabola:
# $f(w + d) \approx f(w) + f'(w)\, d + \tfrac12 f''(w)\, d^2$. Newton's method jumps straight to
# the bottom of that parabola, $d = -f'(w)/f''(w)$. It is gradient descent with the learning
# rate $1/f''(w)$: large steps where the function is flat, small ones where it curves sharply.
# With several parameters, $f''$ becomes the **Hessian** matrix $H$ and the step is
# $d = -H^{-1} \nabla f$.
#
# ### On a quadratic: one step
#
# Take the line fit of notebook 2, whose long, narrow valley took gradient descent hundreds of
# steps. Its loss is exactly quadratic, so the parabola *is* the function, and one Newton step
# lands on the minimum. `value_and_grad` and `hessian` accept a NumPy array of parameters (it
# becomes a `Tensor`) and return `Tensor`s; `.data` is the array.

# %%
rng = np.random.default_rng(0)
xs = np.linspace(0, 4, 20)
ys = 2 * xs + 1 + rng.normal(scale=0.5, size=xs.size)


def line_loss(params):
    w, b = params[0], params[1]
    return ((w * xs + b - ys) ** 2).mean()


start = np.array([-1.0, 4.0])
loss, g = value_and_grad(line_loss)(start)
H = hessian(line_loss, start).data
step = np.linalg.solve(H, g.data)  # H^-1 grad, without inverting H
after = start - step
print("Hessian:\n", H)
print(f"loss {float(loss.data):.4f} -> after one Newton step {line_loss(after):.4f}")
print("the least-squares answer:", np.polyfit(xs, ys, 1), "  Newton:", after)

# %% [markdown]
# ### On a curved valley: a few steps
#
# The Rosenbrock function $f(a, b) = (1 - a)^2 + 100 (b - a^2)^2$ is the classic hard test:
# a curved, flat-bottomed valley with its minimum at $(1, 1)$. Newton's method, from the
# standard start $(-1.2, 1)$:


# %%
def rosenbrock(a, b):
    return (1 - a) ** 2 + 100 * (b - a**2) ** 2


def rosenbrock_vec(w):
    return rosenbrock(w[0], w[1])


w = np.array([-1.2, 1.0])
newton_path = [tuple(w)]
for k in range(1, 8):
    g = grad(rosenbrock_vec)(w).data
    H = hessian(rosenbrock_vec, w).data
    w = w - np.linalg.solve(H, g)
    newton_path.append(tuple(w))
    print(f"Newton step {k}: w = ({w[0]: .6f}, {w[1]: .6f}), loss {rosenbrock(*w):.3g}")

# %% [markdown]
# Six steps to the minimum, to machine precision. (Step 2 takes a wild detour: far from the
# minimum the quadratic model is poor. Practical versions limit the step with a line search or
# a trust region.) Gradient descent, meanwhile, must keep its learning rate below
# $2/\lambda_{\max}$, and the largest curvature near the minimum is about 1000:

# %%
gd_path = gradient_descent_path(rosenbrock, (-1.2, 1.0), lr=1e-3, steps=3000)
print(f"gradient descent, 3000 steps: w = {gd_path[-1]}, loss {rosenbrock(*gd_path[-1]):.3g}")
paths = {"Newton, 7 steps": newton_path, "gradient descent, 3000 steps": gd_path[::25]}
fig = plot_loss_surface(
    lambda a, b: np.log1p(rosenbrock(a, b)),
    bounds=((-2, 2), (-3.5, 3)),
    paths=paths,
    title="log(1 + Rosenbrock)",
)
fig.axes[0].set_xlabel("a")
fig.axes[0].set_ylabel("b")
fig.axes[1].set_ylabel("log(1 + loss)")  # the colorbar: the surface is drawn on a log scale
display(fig)

# %% [markdown]
# Newton's method needs the Hessian and a linear solve at every step: for $n$ parameters
# that is $n$ backward passes, $n^2$ numbers and about $n^3$ operations. That is fine for 2
# parameters and hopeless for a million, which is why networks are trained with first-order
# methods. But the Hessian is still the best tool to *understand* training.
#
# ## The Hessian of a small network's loss
#
# A tiny MLP: 2 inputs, 4 $\tanh$ hidden units, 1 output; 17 parameters in one vector
# $\theta$, trained by mean squared error on 40 points of the moons (targets $\pm 1$).
# Writing the loss as a function of $\theta$ lets `hessian` differentiate it twice.

# %%
X, labels = nn.datasets.moons(n_samples=40, noise=0.1, seed=0)
targets = 2.0 * labels - 1


def mlp_loss(theta):
    W1 = theta[0:8].reshape(4, 2)
    b1 = theta[8:12]
    w2 = theta[12:16]
    b2 = theta[16]
    hidden = (X @ W1.T + b1).tanh()
    return ((hidden @ w2 + b2 - targets) ** 2).mean()


theta0 = np.random.default_rng(0).normal(scale=0.5, size=17)
loss_and_grad = value_and_grad(mlp_loss)

theta = theta0.copy()
for _ in range(3000):  # plain gradient descent to (near) a minimum
    loss, g = loss_and_grad(theta)
    theta -= 0.3 * g.data
print(f"loss after training: {float(loss.data):.4f}, gradient norm {np.linalg.norm(g.data):.1e}")

H = hessian(mlp_loss, theta).data
print("Hessian shape:", H.shape, "  symmetric:", np.allclose(H, H.T))

# %% [markdown]
# The Hessian is symmetric, so it has real eigenvalues $\lambda_i$ and orthogonal
# eigenvectors. Along eigenvector $i$ the loss curves like a parabola of curvature
# $\lambda_i$. At a minimum all $\lambda_i \ge 0$: the loss rises in every direction (after
# training, the smallest is a tiny negative number, zero up to the fact that 3000 steps have
# not quite reached the minimum). At the random starting point several are clearly negative:
# directions where the loss curves *down*. The landscape of a network is not a bowl.

# %%
spectrum_start = np.linalg.eigvalsh(hessian(mlp_loss, theta0).data)
spectrum = np.linalg.eigvalsh(H)
fig, ax = plt.subplots(figsize=(7, 3.3))
ax.plot(spectrum_start, "s", label="at the random start")
ax.plot(spectrum, "o", label="after training")
ax.axhline(0, color="k", lw=0.8)
ax.set_xlabel("eigenvalue index (sorted)")
ax.set_ylabel("curvature")
ax.legend()
plt.show()
lam_max = spectrum[-1]
print(f"largest curvature {lam_max:.3f}; smallest {spectrum[0]:.1e}")
print(f"so gradient descent is stable here only for lr < 2 / {lam_max:.3f} = {2 / lam_max:.3f}")

# %% [markdown]
# A handful of directions are sharply curved; most are nearly flat (the network has more
# parameters than this small problem needs). The sharpest direction sets the largest usable
# learning rate, and the flat directions are where training is slow: the same picture as the
# narrow valley of notebook 2, in 17 dimensions.
#
# ## Testing the prediction
#
# Start just next to the trained minimum and run gradient descent with learning rates just
# below and just above $2/\lambda_{\max}$, and well above it:


# %%
def descend(lr, steps=200):
    top = np.linalg.eigh(H)[1][:, -1]  # the sharpest direction
    w = theta + 0.01 * top  # a small nudge along it
    losses = []
    for _ in range(steps):
        loss, g = loss_and_grad(w)
        losses.append(float(loss.data))
        if not losses[-1] < 1e3:  # diverged: stop before the numbers overflow
            break
        w = w - lr * g.data
    return losses, w


fig, ax = plt.subplots(figsize=(7, 3.5))
for factor in (0.9, 1.1, 1.3):
    lr = factor * 2 / lam_max
    losses, w_end = descend(lr)
    ax.semilogy(losses, label=f"lr = {factor} x 2/lambda_max = {lr:.3f}")
    if len(losses) < 200:
        print(f"lr = {factor} x 2/lambda_max: diverged at step {len(losses)}")
        continue
    sharpest = np.linalg.eigvalsh(hessian(mlp_loss, w_end).data)[-1]
    print(
        f"lr = {factor} x 2/lambda_max: final loss {losses[-1]:.4f}, "
        f"largest curvature there {sharpest:.3f} (2/lr = {2 / lr:.3f})"
    )
ax.set_xlabel("step")
ax.set_ylabel("loss")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# * Below the limit ($0.9\times$) the descent settles back into the minimum.
# * Just above it ($1.1\times$) the nudge along the sharpest direction grows at every step, and
#   the loss shoots up. But the network's loss is not a perfect bowl: the descent is thrown
#   out of the sharp minimum into a flatter region, whose largest curvature is about
#   $2/\text{lr}$, and settles there. Gradient descent can only stay where the curvature
#   allows its learning rate (researchers call this the *edge of stability*).
# * Well above ($1.3\times$) nothing is flat enough: the loss explodes.
#
# ## The curvature without the Hessian: Hessian-vector products
#
# For a network with a million weights, the Hessian would have $10^{12}$ entries. But
# $H v$ for a given vector $v$ costs only about two backward passes: it is the gradient of
# $\nabla f \cdot v$. `hvp(f, x, v)` computes it. Repeating $v \leftarrow Hv / \|Hv\|$
# (**power iteration**) turns $v$ towards the sharpest direction, and $v \cdot Hv$ then
# gives $\lambda_{\max}$, with no Hessian ever formed:

# %%
v = np.random.default_rng(1).normal(size=17)
for _ in range(50):
    Hv = hvp(mlp_loss, theta, v).data
    estimate = v @ Hv / (v @ v)
    v = Hv / np.linalg.norm(Hv)
print(f"power iteration with hvp: {estimate:.5f}   eigvalsh of the full Hessian: {lam_max:.5f}")

# %% [markdown]
# ## What to remember
#
# * `backward(create_graph=True)` and `grad(grad(f))` give second (and higher) derivatives,
#   from the same derivative rules as the first.
# * Newton's method divides the gradient by the curvature: one step on a quadratic, a few on
#   a smooth valley, but the Hessian is too costly for big models.
# * The Hessian's largest eigenvalue caps the learning rate of gradient descent at
#   $2/\lambda_{\max}$; its small eigenvalues are the slow directions. `hvp` and power
#   iteration measure $\lambda_{\max}$ for any model size.
#
# **Try it:** compute the largest curvature at several points during training (every 500
# steps of the loop above). Does it grow, shrink, or hover near $2/0.3$?
