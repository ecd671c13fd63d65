# %% [markdown]
# # Exercise 1. Derivatives by hand and by finite differences
#
# Backpropagation computes derivatives; before letting an engine do it, do it yourself twice:
# **measure** a derivative by nudging the input, and **derive** it with the rules of calculus.
# Each exercise has a blank marked `# YOUR CODE HERE` (it raises `NotImplementedError` until you
# fill it in) and, after it, a cell that grades your answer:
# `exercises.check(name, your_function)` runs hidden cases, prints every failed one with its
# inputs, the expected and the received value, and ends with `N of M checks passed`.

# %%
import math

from autograd import Value, exercises

# %% [markdown]
# ## 1.1 Measure a derivative
#
# $f'(x) = \lim_{h \to 0} \frac{f(x+h) - f(x)}{h}$. With a finite $h$, the one-sided quotient
# is off by about $\frac{h}{2} f''(x)$. The **central difference**
# $\frac{f(x+h) - f(x-h)}{2h}$ is off by only about $\frac{h^2}{6} f'''(x)$: the error
# terms of even order cancel. Write it.


# %%
def numerical_derivative(f, x, h=1e-5):
    """The slope of f at x, by the central difference with step h."""
    # BEGIN SOLUTION
    return (f(x + h) - f(x - h)) / (2 * h)
    # END SOLUTION


# %%
exercises.check("numerical_derivative", numerical_derivative);

# %% [markdown]
# ## 1.2 Derive by hand
#
# Write each derivative as a formula of `x` (use `math.sin`, `math.cos`, `math.tanh`, ...).
#
# - $f(x) = 3x^2 - 4x + 5$: the power rule, term by term.
# - $g(x) = x^2 \sin x$: the product rule, $(uv)' = u'v + uv'$.
# - $h(x) = \tanh(2x + 1)$: the chain rule, $\frac{d}{dx} F(u(x)) = F'(u)\,u'(x)$, with
#   $\tanh'(u) = 1 - \tanh^2 u$.


# %%
def df(x):
    """f'(x) for f(x) = 3x**2 - 4x + 5."""
    # BEGIN SOLUTION
    return 6 * x - 4
    # END SOLUTION


def dg(x):
    """g'(x) for g(x) = x**2 * sin(x)."""
    # BEGIN SOLUTION
    return 2 * x * math.sin(x) + x**2 * math.cos(x)
    # END SOLUTION


def dh(x):
    """h'(x) for h(x) = tanh(2x + 1)."""
    # BEGIN SOLUTION
    return 2 * (1 - math.tanh(2 * x + 1) ** 2)
    # END SOLUTION


# %%
exercises.check("df", df)
exercises.check("dg", dg)
exercises.check("dh", dh);

# %% [markdown]
# ## 1.3 Partial derivatives
#
# A function of two inputs has one derivative per input: hold the other one fixed. For
# $k(a, b) = ab + \tanh a + b^3$, return the pair $(\partial k/\partial a, \partial k/\partial b)$.
# That pair is the **gradient**, what `backward()` fills into `a.grad` and `b.grad`.


# %%
def grad_k(a, b):
    """(dk/da, dk/db) for k(a, b) = a*b + tanh(a) + b**3."""
    # BEGIN SOLUTION
    return b + 1 - math.tanh(a) ** 2, a + 3 * b**2
    # END SOLUTION


# %%
result = exercises.check("grad_k", grad_k)

# %% [markdown]
# ## Three answers, one number
#
# Once your `grad_k` passes, compare it with the measured slopes and with chainrule's
# `backward()`, which applies the same rules you used, one op at a time.

# %%
if result:
    a, b = Value(0.5), Value(-1.5)
    k = a * b + a.tanh() + b**3
    k.backward()
    by_hand = grad_k(0.5, -1.5)
    measured = (
        numerical_derivative(lambda t: t * -1.5 + math.tanh(t) + (-1.5) ** 3, 0.5),
        numerical_derivative(lambda t: 0.5 * t + math.tanh(0.5) + t**3, -1.5),
    )
    print("by hand:  ", by_hand)
    print("measured: ", measured)
    print("chainrule:", (a.grad, b.grad))
else:
    print("Finish grad_k above first.")
