# %% [markdown]
# # 6. Gradient checking
#
# A wrong derivative is the most treacherous bug in deep learning: nothing crashes, the loss
# still goes down (a little), and the model is just mysteriously worse. The cure is to compare
# every derivative you write with a **numerical** one, computed from the forward pass alone by
# **finite differences**. This is **gradient checking**, and every autograd library (PyTorch's
# `torch.autograd.gradcheck` included) does it in its tests.
#
# In this notebook: finite differences and their error, `numerical_grad` and `gradcheck`, the
# **Jacobian** of a function with several outputs, and a planted derivative bug that
# `gradcheck` catches.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd import (
    Function,
    GradcheckError,
    Value,
    analytic_jacobian,
    gradcheck,
    numerical_grad,
    numerical_jacobian,
)

# %% [markdown]
# ## Finite differences, and how small is small
#
# The **forward difference** $\frac{f(x+h) - f(x)}{h}$ has an error proportional to $h$. The
# **central difference** $\frac{f(x+h) - f(x-h)}{2h}$ is much better: the $h$ terms cancel and
# the error is proportional to $h^2$. But $h$ cannot be made arbitrarily small: computers keep
# about 16 significant digits (float64), and subtracting two nearly equal numbers loses them,
# an error that grows like $10^{-16}/h$. The best $h$ balances the two errors.
#
# Let us measure both errors for $f = \sin$ at $x = 1$, where the true derivative is $\cos 1$:

# %%
x, exact = 1.0, math.cos(1.0)
hs = np.logspace(-15, -1, 57)
forward = [abs((math.sin(x + h) - math.sin(x)) / h - exact) for h in hs]
central = [abs((math.sin(x + h) - math.sin(x - h)) / (2 * h) - exact) for h in hs]

fig, ax = plt.subplots(figsize=(6, 3.8))
ax.loglog(hs, forward, label="forward difference")
ax.loglog(hs, central, label="central difference")
ax.set_xlabel("step h")
ax.set_ylabel("error")
ax.set_title("finite-difference error for d sin(x)/dx at x = 1")
ax.legend()
ax.grid(alpha=0.3)
plt.show()
print(f"best h: forward {hs[np.argmin(forward)]:.0e}, central {hs[np.argmin(central)]:.0e}")

# %% [markdown]
# To the right, the error falls as $h$ shrinks (slope 1 for forward, 2 for central); to the
# left, rounding takes over and the error *grows* again. Central differences with
# $h \approx 10^{-5}$ to $10^{-6}$ give about 10 correct digits, which is why the checkers below
# use central differences, $h = 10^{-6}$ and float64 numbers throughout.
#
# ## `numerical_grad`: the gradient without backpropagation
#
# `numerical_grad(f, inputs)` nudges each input in turn and returns the central-difference
# gradient. Compare it with the engine's `backward()`:


# %%
def f(a, b):
    return (a * b + b**2).tanh()


a = Value(0.3, label="a")
b = Value(-0.4, label="b")
out = f(a, b)
out.backward()
print("backward():     ", a.grad, b.grad)
print("numerical_grad: ", numerical_grad(f, [a, b]))

# %% [markdown]
# ## `gradcheck`
#
# `gradcheck(f, inputs)` does this comparison for you and decides. It passes when, for every
# input, $|\text{analytic} - \text{numerical}| \le \text{atol} + \text{rtol} \cdot
# |\text{numerical}|$ (an absolute tolerance for gradients near zero, a relative one for large
# ones). It returns `True`, or raises `GradcheckError` saying which input disagrees and by how
# much.

# %%
print(gradcheck(f, [a, b]))
print(gradcheck(lambda x: x.exp() / (1 + x.exp()), [Value(2.0)]))
print(gradcheck(lambda x, y: (x / y).log() * x.sin(), [Value(1.5), Value(0.7)]))

# %% [markdown]
# ## The Jacobian: several outputs at once
#
# A function with $m$ outputs and $n$ inputs has an $m \times n$ matrix of derivatives, the
# **Jacobian** $J_{ij} = \partial\, \text{out}_i / \partial\, \text{in}_j$. Take
#
# $$f(x, y) = \big(x y,\;\; x + \sin y,\;\; x^2\big)$$
#
# whose Jacobian is $\begin{pmatrix} y & x \\ 1 & \cos y \\ 2x & 0 \end{pmatrix}$.
# `numerical_jacobian` and `analytic_jacobian` return one block per input (a column here,
# since each input is one number); stacking them side by side gives the matrix.


# %%
def g(x, y):
    return [x * y, x + y.sin(), x**2]


x, y = Value(1.5), Value(0.5)
J_num = np.hstack(numerical_jacobian(g, [x, y]))
J_eng = np.hstack(analytic_jacobian(g, [x, y]))
J_true = np.array([[0.5, 1.5], [1.0, math.cos(0.5)], [3.0, 0.0]])
print("finite differences:\n", J_num.round(6))
print("engine (one backward pass per output row):\n", J_eng)
assert np.allclose(J_eng, J_true) and np.allclose(J_num, J_true, atol=1e-8)
print(gradcheck(g, [x, y]))  # gradcheck compares whole Jacobians for vector outputs

# %% [markdown]
# Notice how each method fills the matrix. A backward pass gives one **row** (the gradient of
# one output with respect to all inputs); finite differences give one **column** per nudged
# input. A loss has *one* output and millions of inputs (the weights): one backward pass gets
# the whole gradient, while finite differences would need two forward passes per weight. That
# is why training uses reverse mode, and why finite differences are only for *checking*, on
# small examples.
#
# ## A planted bug
#
# Suppose we add an activation function of our own, **softplus**, $s(x) = \log(1 + e^x)$, a
# smooth version of ReLU. We write its forward pass and, separately, its derivative, as one
# does when writing a custom op. The true derivative is the sigmoid, $s'(x) = 1 / (1 + e^{-x})$.
# We write $1/(1 + e^{x})$ instead: one missing minus sign.
#
# A custom op is a subclass of `autograd.Function` with two methods, exactly like the built-in
# ops: `forward(F, a)` computes the result from the raw number `a`, and `backward(F, g, out, a)`
# returns the gradient of the input, the upstream gradient `g` times the local derivative.
# `F` is the engine's math namespace (`F.exp`, `F.log`, `F.sigmoid`, ...), so the same op works
# on `Value`s and on `Tensor`s. `Softplus().apply(x)` runs it and records it in the graph.


# %%
class Softplus(Function):
    """softplus(x) = log(1 + exp(x)), with its hand-written derivative."""

    name = "softplus"

    def forward(self, F, a):
        return F.log(1 + F.exp(a))

    def backward(self, F, g, out, a):
        return (g * F.sigmoid(a),)  # d/dx log(1 + e^x) = 1 / (1 + e^-x)


class SoftplusBuggy(Softplus):
    def backward(self, F, g, out, a):
        return (g / (1 + F.exp(a)),)  # BUG: should be exp(-a)


def softplus(x):
    return Softplus().apply(x)


def softplus_buggy(x):
    return SoftplusBuggy().apply(x)


# %% [markdown]
# The forward passes agree, and training with the buggy version would run without any error.
# `gradcheck` sees the difference at once:

# %%
x = Value(0.5, label="x")
print("forward:", softplus_buggy(x).data, softplus(x).data)
try:
    gradcheck(softplus_buggy, [x])
except GradcheckError as err:
    print(err)
print("fixed version:", gradcheck(softplus, [x]))

# %% [markdown]
# The bug is caught even when the op is buried inside a bigger computation: here a neuron
# $\text{softplus}(w x + b)$ checked with respect to its weight and bias. The wrong derivative
# flows into both gradients through the chain rule.

# %%
w, b = Value(0.8, label="w"), Value(-0.3, label="b")


def neuron(w, b, activation):
    return activation(w * 1.5 + b)


try:
    gradcheck(lambda w, b: neuron(w, b, softplus_buggy), [w, b])
except GradcheckError as err:
    print(err)
print("fixed version:", gradcheck(lambda w, b: neuron(w, b, softplus), [w, b]))

# %% [markdown]
# ### Check at more than one point
#
# At $x = 0$ the buggy and the true derivative are both $\frac12$: a check at that one point
# passes and hides the bug. Check at several random points (libraries use random inputs for
# exactly this reason):

# %%
print("at x = 0:", gradcheck(softplus_buggy, [Value(0.0)]))
rng = np.random.default_rng(0)
failures = 0
for point in rng.normal(size=10):
    try:
        gradcheck(softplus_buggy, [Value(point)])
    except GradcheckError:
        failures += 1
print(f"at 10 random points: {failures} failures")

# %% [markdown]
# ### ... but not at a kink
#
# The opposite mistake: a function that is not differentiable at the checked point. ReLU has a
# kink at 0, where the engine uses the derivative 0 (as PyTorch does) while the central
# difference averages the two sides and gets $\frac12$. That failure is a false alarm: move the
# point away from the kink.

# %%
try:
    gradcheck(lambda x: x.relu(), [Value(0.0)])
except GradcheckError as err:
    print(err)
print("at x = 0.1:", gradcheck(lambda x: x.relu(), [Value(0.1)]))

# %% [markdown]
# ## Tensors: checking a layer
#
# The same functions work on `Tensor`s, element by element. Here is a check of a small linear
# layer's computation, followed by $\tanh$ and a squared-error loss, with respect to the
# layer's weight matrix and bias (two `Tensor`s of shapes (2, 3) and (2,)). Finite
# differences need float64, so the layer is made with `dtype=np.float64` (the default float32
# keeps only about 7 digits, too few for a difference quotient).

# %%
layer = nn.Linear(3, 2, seed=0, dtype=np.float64)
inputs = np.random.default_rng(1).normal(size=(4, 3))
targets = np.array([[0.5, -0.5], [0.1, 0.2], [-0.3, 0.0], [0.9, -0.1]])


def layer_loss(weight, bias):
    scores = inputs @ weight.T + bias  # what the layer computes: x W^T + b
    return nn.mse_loss(scores.tanh(), targets)


print(gradcheck(layer_loss, [layer.weight, layer.bias]))

# %% [markdown]
# ## What to remember
#
# * Central differences with $h \approx 10^{-6}$ in float64 give a reference gradient from
#   the forward pass alone, at the cost of two forward passes per input.
# * `gradcheck(f, inputs)` compares the engine's gradients (or Jacobians) with that reference
#   and tells you which input disagrees.
# * Check every new derivative, at several random points, away from kinks.
#
# **Try it:** plant a bug of your own, say a factor 2 in the derivative of softplus, or
# `exp(x) / (1 + exp(x)) ** 2`, and see which points and tolerances catch it.
