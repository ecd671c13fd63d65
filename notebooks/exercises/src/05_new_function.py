# %% [markdown]
# # Exercise 5. A new op, as a chainrule `Function`
#
# Every op in chainrule is a `Function` with two methods side by side:
#
# - `forward(self, F, a, ...)` computes the result from the inputs' raw data;
# - `backward(self, F, g, out, a, ...)` returns one gradient per input: the upstream gradient
#   `g` times the op's derivative with respect to that input.
#
# Write both with plain operators and `F.<function>` (`F.exp`, `F.sigmoid`, `F.sqrt`,
# `F.div`, ...), never `math.*` or `np.*`: `F` is a float, an array or a node namespace, so
# the same rule runs on `Value`, on `Tensor`, and on nodes when you ask for a second
# derivative. The grader runs `gradcheck` (the rule against finite differences) and
# `gradgradcheck` (the rule's own derivative, which works only if the rule is written so).

# %%
import numpy as np

from autograd import Function, Tensor, Value, exercises, gradcheck, gradgradcheck

# %% [markdown]
# ## 5.1 SiLU
#
# $\mathrm{silu}(a) = a\,\sigma(a)$, with $\sigma(a) = 1/(1 + e^{-a})$ and
# $\sigma'(a) = \sigma(a)(1 - \sigma(a))$. The product rule gives its derivative.


# %%
class SiLU(Function):
    """a * sigmoid(a)"""

    name = "silu"

    def forward(self, F, a):
        # BEGIN SOLUTION
        return a * F.sigmoid(a)
        # END SOLUTION

    def backward(self, F, g, out, a):
        # BEGIN SOLUTION
        s = F.sigmoid(a)
        return (g * (s + a * s * (1 - s)),)
        # END SOLUTION


# %%
silu_result = exercises.check("silu", SiLU)

# %% [markdown]
# ## 5.2 Hypot: two inputs, two gradients
#
# $\mathrm{hypot}(a, b) = \sqrt{a^2 + b^2}$; its partial derivatives are $a / \mathrm{out}$ and
# $b / \mathrm{out}$. Return them as a pair, in the order of the inputs.


# %%
class Hypot(Function):
    """sqrt(a**2 + b**2)"""

    name = "hypot"

    def forward(self, F, a, b):
        # BEGIN SOLUTION
        return F.sqrt(a * a + b * b)
        # END SOLUTION

    def backward(self, F, g, out, a, b):
        # BEGIN SOLUTION
        return F.div(g * a, out), F.div(g * b, out)
        # END SOLUTION


# %%
hypot_result = exercises.check("hypot", Hypot)

# %% [markdown]
# ## Your op in the graph
#
# `Op().apply(x, ...)` records the op like a built-in one: it mixes with the others, runs on
# tensors, and differentiates twice.

# %%
if silu_result and hypot_result:
    x = Value(0.8, label="x")
    y = Hypot().apply(SiLU().apply(x), Value(1.5)) * 2
    y.backward()
    print(f"y = {y.data:.5f}, dy/dx = {x.grad:.5f}")
    t = Tensor(np.linspace(-3, 3, 7), requires_grad=True, dtype=np.float64)
    print("gradcheck on a tensor:", gradcheck(lambda t: SiLU().apply(t).sum(), [t]))
    print("gradgradcheck:", gradgradcheck(lambda v: Hypot().apply(v, 2.0 * v), [Value(0.7)]))
else:
    print("Finish both ops above first.")
