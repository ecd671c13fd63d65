# %% [markdown]
# # Exercise 6 (optional). Broadcasting, and the gradient on the way back
#
# NumPy **broadcasts**: `a + b` with `a` of shape `(3, 4)` and `b` of shape `(4,)` adds `b` to
# every row. The forward pass copies `b` three times; so on the way back `b` gets the **sum**
# of the three rows' gradients, a gradient of `b`'s own shape. Broadcasting (i) adds leading
# axes, and (ii) stretches axes of length 1; undoing it sums over both kinds, keeping the
# length-1 axes.

# %%
import numpy as np

from autograd import Tensor, exercises

# %% [markdown]
# ## 6.1 `unbroadcast`


# %%
def unbroadcast(g, shape):
    """g (the gradient of a broadcast result) summed back to shape."""
    # BEGIN SOLUTION
    while g.ndim > len(shape):  # the leading axes broadcasting added
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):  # the axes of length 1 it stretched
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g
    # END SOLUTION


# %%
exercises.check("unbroadcast", unbroadcast);

# %% [markdown]
# ## 6.2 The gradients of a broadcasting product
#
# For `out = a * b` (shapes broadcasting together) and upstream gradient `g` of `out`'s shape,
# return `(grad_a, grad_b)`, each of its input's shape.


# %%
def mul_grads(g, a, b):
    """The gradients of a * b for upstream g, one per input, of the inputs' shapes."""
    # BEGIN SOLUTION
    return unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)
    # END SOLUTION


# %%
result = exercises.check("mul_grads", mul_grads)

# %% [markdown]
# chainrule's `Tensor` undoes broadcasting for every op, so a rule reads like the calculus:

# %%
if result:
    a = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    b = Tensor(np.array([10.0, 20.0]), requires_grad=True)
    (a * b).sum().backward()
    mine = mul_grads(np.ones((3, 2)), a.data, b.data)
    print("b.grad:", b.grad, " yours:", mine[1])
else:
    print("Finish both functions above first.")
