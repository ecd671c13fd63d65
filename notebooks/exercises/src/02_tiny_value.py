# %% [markdown]
# # Exercise 2. A tiny `Value` and its backward closures
#
# micrograd's `Value` in twenty lines: each operation returns a new `Value` that remembers its
# inputs (`_prev`) and a closure `_backward` that, once `out.grad` is known, adds
# `out.grad * d(out)/d(input)` into each input's `.grad`. The forward passes are written; you
# write the three closures. Two things to remember:
#
# - **the chain rule**: multiply by `out.grad`, the upstream gradient, not by 1;
# - **accumulate** with `+=`: an input used twice (`a + a`, or a weight shared by two paths)
#   gets the sum of its shares.
#
# `backward()` is given: it orders the graph (exercise 3 is about how) and runs every closure
# from the output back.

# %%
import math

from autograd import exercises


# %%
class Value:
    """A number that remembers how it was computed, micrograd's way."""

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            # BEGIN SOLUTION
            self.grad += out.grad
            other.grad += out.grad
            # END SOLUTION

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            # BEGIN SOLUTION
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
            # END SOLUTION

        out._backward = _backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            # BEGIN SOLUTION
            self.grad += (1 - t**2) * out.grad
            # END SOLUTION

        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


# %% [markdown]
# Each rule is checked alone: the grader sets `out.grad` and calls `out._backward()`.

# %%
exercises.check("add_backward", Value)
exercises.check("mul_backward", Value)
exercises.check("tanh_backward", Value);

# %% [markdown]
# And all together: `backward()` on whole expressions, against chainrule and against finite
# differences of your own forward pass.

# %%
result = exercises.check("value_backward", Value)

# %% [markdown]
# ## Your engine against chainrule's
#
# The neuron of micrograd's lecture: $o = \tanh(x_1 w_1 + x_2 w_2 + b)$.

# %%
if result:
    from autograd import Value as ChainValue

    for V in (Value, ChainValue):
        x1, x2, w1, w2, b = V(2.0), V(0.0), V(-3.0), V(1.0), V(6.8813735870195432)
        o = (x1 * w1 + x2 * w2 + b).tanh()
        o.backward()
        print(f"{V.__module__:>16}: o = {o.data:.4f}, dx1 = {x1.grad:.4f}, dw1 = {w1.grad:.4f}")
else:
    print("Finish the three closures above first.")
