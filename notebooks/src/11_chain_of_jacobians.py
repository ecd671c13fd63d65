# %% [markdown]
# # 11. Backprop is a chain of Jacobians
#
# A network is a composition of functions: written out, a **nested function**. The derivative
# of a composition is the product of the derivatives of its parts (the chain rule), and for
# functions of vectors each derivative is a **Jacobian**, the matrix of the partial derivatives
# of every output with respect to every input. So the gradient of a network is a product of
# Jacobians, one per layer. This notebook makes each of those words concrete:
#
# 1. the network as a nested function (`autograd.formula`);
# 2. each layer's Jacobian, and their product, which is the gradient;
# 3. a vector-Jacobian product (`vjp`), which gets the same numbers without building a matrix;
# 4. forward mode against reverse mode: what each costs, and why training uses reverse mode;
# 5. the gradient of the cross-entropy at the logits, $p - y$, and why a classifier is trained
#    with cross-entropy rather than squared error;
# 6. a slice through a real network's loss surface.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

import nn
from autograd import Tensor, Value, formula, jacfwd, jacobian, jacrev, jvp, no_grad, vjp

# %% [markdown]
# ## The network as a nested function
#
# micrograd's neuron, built one operation at a time. `formula` reads the graph back as the
# function it computes, with the graph's own names:

# %%
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
n = w1 * x1 + w2 * x2 + b
o = n.tanh()
o.label = "o"
display(formula(o))
print(formula(o).text)

# %% [markdown]
# A value used twice cannot be written inline once: it gets a line of its own.

# %%
u = (x1 * w1).tanh()
display(formula(u * u + 2 * u))

# %% [markdown]
# A tensor MLP. Operation by operation, the parameters have their own names (`0.weight` is the
# weight of module 0); read at the level of its layers (`collapse="module"`, as `draw_dot`
# draws it), it is the formula of the lectures, with the symbols explained underneath:

# %%
mlp = nn.Sequential(
    nn.Linear(3, 4, seed=0, dtype=np.float64), nn.Tanh(),
    nn.Linear(4, 2, seed=1, dtype=np.float64), nn.Tanh(),
    nn.Linear(2, 1, seed=2, dtype=np.float64),
)  # fmt: skip
x = np.array([0.5, -1.0, 2.0])
display(formula(mlp(x)))
display(formula(mlp(x), collapse="module"))

# %% [markdown]
# The scalar MLP of notebook 4 has no matrices at all: each neuron is its own `dot` of
# `Value`s. Read per layer (`collapse="layer"`), a layer of neurons that all read the same
# inputs *is* a matrix-vector product, and `formula` writes it as one:

# %%
scalar_mlp = nn.MLP(3, [4, 2, 1], activation="tanh", seed=0)
print(formula(scalar_mlp([0.5, -1.0, 2.0]), collapse="layer").text)

# %% [markdown]
# ## Each layer's Jacobian, and their product
#
# Call the layers $f_1, \dots, f_5$ (Linear, tanh, Linear, tanh, Linear), so
# $\hat y = f_5(f_4(f_3(f_2(f_1(x)))))$. Layer $k$ maps its input $a_{k-1}$ to
# $a_k = f_k(a_{k-1})$, and its Jacobian $J_k = \partial a_k / \partial a_{k-1}$ has one row
# per output and one column per input. The chain rule says
#
# $$\frac{\partial \hat y}{\partial x} = J_5\, J_4\, J_3\, J_2\, J_1 .$$
#
# `jacobian(f)(a)` computes a Jacobian; here is each layer's, at the activations of this input:

# %%
activations = [Tensor(x)]
jacobians = []
for layer in mlp:
    a = activations[-1]
    jacobians.append(jacobian(layer)(a).data)
    activations.append(layer(a))
for k, (layer, J) in enumerate(zip(mlp, jacobians), start=1):
    print(f"J_{k} ({type(layer).__name__:6s}) shape {J.shape}")
print("J_2 (tanh) is diagonal, 1 - tanh^2 on the diagonal:\n", np.round(jacobians[1], 3))

# %% [markdown]
# A Linear layer's Jacobian is its weight matrix ($\partial (Wx + b)/\partial x = W$); an
# elementwise function's is diagonal. Multiply them, right to left, and compare with the
# gradient a backward pass puts in `x.grad`:

# %%
product = jacobians[0]
for J in jacobians[1:]:
    product = J @ product
xt = Tensor(x, requires_grad=True)
mlp(xt).sum().backward()
print("J_5 J_4 J_3 J_2 J_1:", product.ravel())
print("x.grad (backward):  ", xt.grad)
print("W_1 is J_1:", np.allclose(jacobians[0], mlp[0].weight.data))
assert np.allclose(product.ravel(), xt.grad)

# %% [markdown]
# ## A vector-Jacobian product never builds the matrix
#
# Backward does not multiply those matrices. It starts from the output with a row vector
# $v^\top$ (here $v = 1$: $d\hat y / d\hat y$) and multiplies it into one Jacobian at a time,
# from the left: $((v^\top J_5) J_4) \dots J_1$. Each product is a **vector**-Jacobian product,
# and a layer computes it without ever forming its Jacobian: for $y = \tanh(a)$,
# $v^\top J = v \odot (1 - y^2)$; for $y = Wx$, $v^\top J = v^\top W$. `vjp(f, x)` gives
# $f(x)$ and the function $v \mapsto v^\top J$.
#
# An elementwise $\tanh$ of $n = 2000$ numbers has a $2000 \times 2000$ Jacobian (4 million
# numbers, all but 2000 of them zero); its vjp costs 2000 multiplications:

# %%
n_big = 2000
z = np.random.default_rng(0).normal(size=n_big)
v = np.random.default_rng(1).normal(size=n_big)
out, pullback = vjp(lambda t: t.tanh(), z)
(row,) = pullback(v)
print("v^T J by vjp equals v * (1 - tanh^2):", np.allclose(row.data, v * (1 - np.tanh(z) ** 2)))
small = z[:200]  # the full Jacobian, for a size where building it is still cheap
J_small = jacobian(lambda t: t.tanh())(small).data
print(f"the Jacobian of 200 inputs: {J_small.size} numbers, {np.count_nonzero(J_small)} nonzero")
print("same numbers:", np.allclose(v[:200] @ J_small, pullback(v)[0].data[:200]))

# %% [markdown]
# ## Forward mode against reverse mode
#
# The other order: start at the input with a tangent $t$ and push it forward,
# $J_5 (J_4 (\dots (J_1 t)))$, a Jacobian-vector product (`jvp`). One forward pass gives one
# **column** of the Jacobian; one reverse pass (vjp) gives one **row**. For $f: \mathbb{R}^n
# \to \mathbb{R}^m$ the whole Jacobian takes $n$ forward passes (`jacfwd`) or $m$ reverse
# passes (`jacrev`). We measure both, with $f(x) = W_2 \tanh(W_1 x)$ and 32 hidden units:

# %%
rng = np.random.default_rng(0)


def two_layers(n_in, n_out, hidden=32):
    W1 = rng.normal(size=(hidden, n_in)) / np.sqrt(n_in)
    W2 = rng.normal(size=(n_out, hidden)) / np.sqrt(hidden)
    return lambda t: (t @ W1.T).tanh() @ W2.T


times = {}
for n_in, n_out in [(1000, 1), (1, 1000)]:
    f = two_layers(n_in, n_out)
    x_in = rng.normal(size=n_in)
    both = {}
    for name, transform in [("jacfwd", jacfwd), ("jacrev", jacrev)]:
        start = time.perf_counter()
        J = both[name] = transform(f)(x_in)
        times[name, n_in, n_out] = time.perf_counter() - start
    assert np.allclose(both["jacfwd"].data, both["jacrev"].data)  # the same Jacobian
    print(f"(n, m) = ({n_in:4d}, {n_out:4d}): Jacobian {J.shape},  forward "
          f"{times['jacfwd', n_in, n_out] * 1e3:7.1f} ms, reverse "
          f"{times['jacrev', n_in, n_out] * 1e3:7.1f} ms")  # fmt: skip

# %% [markdown]
# With many inputs and one output, forward mode needs 1000 passes and reverse mode one; with
# one input and many outputs it is the other way round. (Our reverse mode seeds its 1000
# passes more cheaply than our forward mode, so the second ratio is smaller; the pass counts
# are what matter.) **Training is the first case**: a loss is one number, computed from
# thousands to billions of parameters. One reverse pass gives the derivative of the loss with
# respect to every parameter, at a cost of a few forward passes. That is why deep learning
# is built on reverse mode, and why backprop "is" the vjp chain above. Forward mode earns its
# place where there are few inputs: a directional derivative `jvp(f, (x,), (t,))`, or
# Hessian-vector products (`jacfwd(jacrev(f))`).

# %%
_, directional = jvp(two_layers(1000, 1), (rng.normal(size=1000),), (np.ones(1000),))
print("one jvp: the derivative along t = (1, ..., 1):", directional.data)

# %% [markdown]
# ## The cross-entropy gradient at the logits is $p - y$
#
# A classifier's last layer gives logits $z$; softmax makes them probabilities
# $p_i = e^{z_i} / \sum_j e^{z_j}$, and the cross-entropy against the true class $c$ is
# $L = -\log p_c$. Its gradient at the logits is
#
# $$\frac{\partial L}{\partial z_i} = p_i - y_i, \qquad y = \text{one-hot}(c),$$
#
# the Jacobian of softmax and the derivative of the log cancel into something simple. Check:

# %%
logits = Tensor(np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]]), requires_grad=True)
classes = np.array([0, 1])
nn.cross_entropy(logits, classes, reduction="sum").backward()
p = np.exp(logits.data) / np.exp(logits.data).sum(axis=1, keepdims=True)
onehot = np.eye(3)[classes]
print("dL/dz (backward):\n", logits.grad)
print("p - y:\n", p - onehot)
assert np.allclose(logits.grad, p - onehot)

# %% [markdown]
# (With the default `reduction="mean"` the batch mean divides it by the number of rows.)
#
# ## Cross-entropy against squared error, when the model is confidently wrong
#
# Take one output $p = \sigma(z)$ and the target $y = 1$. Cross-entropy $-\log p$ has
# $\partial L / \partial z = p - 1$: when the model is confidently wrong ($z \ll 0$, $p \approx
# 0$) the gradient is close to $-1$, a strong push. Squared error $(p - 1)^2$ has
# $\partial L / \partial z = 2 (p - 1)\, p (1 - p)$: the sigmoid's slope $p(1-p)$ is tiny
# exactly there, so the model that is most wrong learns most slowly.

# %%
zs = Tensor(np.linspace(-10, 10, 201), requires_grad=True)
(-zs.sigmoid().log()).sum().backward()
ce_grad = zs.grad.copy()
zs = Tensor(zs.data, requires_grad=True)
((zs.sigmoid() - 1.0) ** 2).sum().backward()
mse_grad = zs.grad
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(zs.data, np.abs(ce_grad), label="cross-entropy  $|p - 1|$")
ax.plot(zs.data, np.abs(mse_grad), label="squared error  $|2(p-1)p(1-p)|$")
ax.axvspan(-10, -3, color="tab:red", alpha=0.08, label="confidently wrong")
ax.set_xlabel("logit $z$ (the target is class 1)")
ax.set_ylabel("$|\\partial L / \\partial z|$")
ax.legend(fontsize="small")
plt.show()
at = np.searchsorted(zs.data, -8.0)
print(f"at z = -8: cross-entropy gradient {ce_grad[at]:.4f}, squared error {mse_grad[at]:.6f}")

# %% [markdown]
# ## A slice of a real network's loss surface
#
# The loss is a function of all the parameters at once, far too many dimensions to look at.
# We can look at a line or a plane through the trained parameters $\theta^*$:
# $L(\theta^* + \alpha d)$ and $L(\theta^* + \alpha d_1 + \beta d_2)$ along random directions
# $d$. A raw random direction mixes scales (a layer with large weights is barely moved, one
# with small weights is wrecked), so each direction is **filter-normalized** (Li et al.,
# *Visualizing the Loss Landscape of Neural Nets*, 2018): every row of a weight matrix (one
# neuron's incoming weights) is rescaled to the norm of the same row of $\theta^*$, and biases
# are left in place. First, a network trained on the two moons:

# %%
X, y = nn.datasets.moons(300, noise=0.2, seed=0)
net = nn.Sequential(nn.Linear(2, 16, seed=0), nn.ReLU(), nn.Linear(16, 16, seed=1), nn.ReLU(),
                    nn.Linear(16, 2, seed=2))  # fmt: skip
nn.fit(net, X, y, loss=nn.cross_entropy, optimizer=nn.Adam(net.parameters(), lr=0.01),
       epochs=30, batch_size=32, progress=False, seed=0)  # fmt: skip
params = net.parameters()
theta = [p.data.copy() for p in params]


def direction(seed):
    """A random direction, filter-normalized: each weight row scaled to its row's norm."""
    r = np.random.default_rng(seed)
    d = []
    for t in theta:
        g = r.normal(size=t.shape).astype(t.dtype)
        if t.ndim == 2:
            g *= np.linalg.norm(t, axis=1, keepdims=True) / np.linalg.norm(g, axis=1, keepdims=True)
        else:
            g[:] = 0  # biases stay where they are
        d.append(g)
    return d


def loss_at(*steps):
    """The training loss at theta + sum of alpha * d, for (alpha, d) in steps."""
    for p, t, *ds in zip(params, theta, *[d for _, d in steps]):
        p.data = t + sum(alpha * di for (alpha, _), di in zip(steps, ds))
    with no_grad():
        value = float(nn.cross_entropy(net(X), y).data)
    for p, t in zip(params, theta):
        p.data = t.copy()
    return value


d1, d2 = direction(1), direction(2)
alphas = np.linspace(-1, 1, 41)
line = [loss_at((a, d1)) for a in alphas]
grid = np.linspace(-1, 1, 21)
plane = np.array([[loss_at((a, d1), (b_, d2)) for a in grid] for b_ in grid])

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.plot(alphas, line)
left.axvline(0, color="gray", lw=0.8)
left.set_xlabel(r"$\alpha$")
left.set_ylabel(r"training loss $L(\theta^* + \alpha d)$")
left.set_title("1-D slice")
levels = np.quantile(plane, np.linspace(0, 1, 15))
contour = right.contour(grid, grid, plane, levels=np.unique(levels), cmap="viridis")
right.clabel(contour, fontsize=7, fmt="%.2f")
right.plot(0, 0, "r*", ms=10, label=r"$\theta^*$")
right.set_xlabel(r"$\alpha$ (along $d_1$)")
right.set_ylabel(r"$\beta$ (along $d_2$)")
right.set_title("2-D slice")
right.legend(fontsize="small", loc="lower right")
plt.show()
print(f"loss at the trained weights {line[20]:.3f}; at alpha = -1 and +1: "
      f"{line[0]:.3f}, {line[-1]:.3f}")  # fmt: skip

# %% [markdown]
# The trained weights sit in a basin: away from $\theta^*$ the loss climbs, steeply along some
# directions and gently along others (compare the two ends of the 1-D slice), and near
# $\theta^*$ the floor is nearly flat; 30 epochs of Adam stop close to
# the bottom, not at it. The basin is not a bowl (a ReLU network's loss is not quadratic in
# its weights), and a slice shows two of the network's hundreds of directions, but this is
# the surface gradient descent walks on. The gradient, computed as the chain of
# vector-Jacobian products above, is the uphill direction on it, and each step goes against it.
#
# ## What to remember
#
# * A network is a nested function; `formula(root)` writes it out, and `collapse="module"`
#   writes it per layer: $\hat y = W_3 \tanh(W_2 \tanh(W_1 x + b_1) + b_2) + b_3$.
# * The Jacobian of a composition is the product of the Jacobians of its parts. Backprop
#   computes that product from the output end, one **vector**-Jacobian product at a time, and
#   never builds a Jacobian.
# * Forward mode (`jvp`, `jacfwd`) costs one pass per input, reverse mode (`vjp`, `jacrev`)
#   one pass per output. A loss has one output, so training uses reverse mode.
# * At the logits, the cross-entropy gradient is $p - y$; it stays large when the model is
#   confidently wrong, where squared error's gradient vanishes.
#
# **Try it:** replace the `Tanh` layers by `ReLU`: what do $J_2$ and $J_4$ look like now? Make
# the moons network 10 times wider: does the 2-D slice get smoother?
