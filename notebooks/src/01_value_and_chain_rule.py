# %% [markdown]
# # 1. The `Value` and the chain rule
#
# Training a neural network comes down to one question, asked millions of times: *if I nudge
# this weight a little, how does the loss change?* The answer is a **derivative**, and
# **backpropagation** is an efficient way to get the derivative of one output with respect to
# every input at once, by applying the **chain rule** from the output back to the inputs.
#
# In this notebook you will
#
# 1. measure a derivative numerically, by nudging an input;
# 2. build a small expression out of `Value` objects and draw its **computation graph**;
# 3. run the **backward pass by hand**, one chain-rule step at a time;
# 4. let the engine do it (`backward()`) and check that it agrees;
# 5. watch the engine's backward pass **step by step** (`backward_steps`), in an interactive
#    stepper (`step_through`) and in a web page you can share (`save_steps_html`);
# 6. see **why** the backward pass needs a reverse topological order, and not a plain recursion.

# %%
import html
import math
import tempfile
from pathlib import Path

from IPython.display import HTML, display

from autograd import Value, backward_steps, dot, draw_dot, save_steps_html, step_through

# %% [markdown]
# ## A derivative is a sensitivity
#
# The derivative of $f$ at $x$ is the slope of $f$ there:
# $f'(x) = \lim_{h \to 0} \frac{f(x+h) - f(x)}{h}$. With a small but finite $h$ we can
# *measure* it. Take $f(x) = 3x^2 - 4x + 5$, whose derivative (by the rules of calculus) is
# $f'(x) = 6x - 4$.


# %%
def f(x):
    return 3 * x**2 - 4 * x + 5


x = 3.0
h = 1e-6
slope = (f(x + h) - f(x)) / h
print(f"measured slope at x={x}: {slope:.5f}   calculus says 6x - 4 = {6 * x - 4}")

# %% [markdown]
# This works for any function, but it costs one extra evaluation of $f$ *per input*. A network
# with a million weights would need a million forward passes for one gradient. Backpropagation
# gets all of them for the price of roughly one forward and one backward pass.

# %% [markdown]
# ## Values remember how they were computed
#
# A `Value` wraps one number. Every arithmetic operation on Values returns a new Value that
# remembers its inputs (`.parents`; micrograd calls them `._prev`) and the operation that made it
# (`.op`, micrograd's `._op`). So as you compute, the **computation graph** is recorded. The
# `label` names a node in drawings and in the chain rule the engine writes out for you.

# %%
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
f_ = Value(-2.0, label="f")
L = d * f_
L.label = "L"

print(L)
print("L was made by", repr(L.op), "from", [p.label for p in L.parents])

# %% [markdown]
# `draw_dot` draws the graph: each box is a Value (label, data, grad), each ellipse the
# operation that produced the box to its right. The **root** `L` is yellow, the **leaves** we
# created (parameters that need a gradient) are green. All gradients are still 0: nothing has
# been differentiated yet.

# %%
draw_dot(L)

# %% [markdown]
# ## The backward pass by hand
#
# We want $\frac{\partial L}{\partial x}$ for every node $x$. Start at the end and walk back:
#
# * $\frac{\partial L}{\partial L} = 1$.
# * $L = d \cdot f$, so $\frac{\partial L}{\partial d} = f = -2$ and
#   $\frac{\partial L}{\partial f} = d = 4$.
# * $d = e + c$. The **local derivatives** are $\frac{\partial d}{\partial e} = 1$ and
#   $\frac{\partial d}{\partial c} = 1$. The **chain rule** multiplies the gradient arriving
#   from above (the *upstream* gradient) by the local derivative:
#   $\frac{\partial L}{\partial e} = \frac{\partial L}{\partial d} \cdot
#   \frac{\partial d}{\partial e} = -2 \cdot 1 = -2$; the same for $c$.
# * $e = a \cdot b$: $\frac{\partial L}{\partial a} = \frac{\partial L}{\partial e} \cdot b
#   = -2 \cdot -3 = 6$ and $\frac{\partial L}{\partial b} = \frac{\partial L}{\partial e}
#   \cdot a = -2 \cdot 2 = -4$.
#
# A `+` node passes its upstream gradient through unchanged; a `*` node sends each input the
# upstream gradient times *the other* input. Here is the same computation in code, on plain
# floats:

# %%
# grad_x holds dL/dx
grad_root = 1.0  # dL/dL
grad_d = grad_root * f_.data  # L = d * f: each input gets the upstream times the other input
grad_f = grad_root * d.data
grad_e = grad_d * 1.0  # d = e + c: a sum passes the upstream gradient through
grad_c = grad_d * 1.0
grad_a = grad_e * b.data  # e = a * b
grad_b = grad_e * a.data
by_hand = {"a": grad_a, "b": grad_b, "c": grad_c, "f": grad_f}
print(by_hand)

# %% [markdown]
# Let us check one of them by nudging, as at the start: raise `a` by a tiny `h`, recompute `L`,
# and measure the slope. We use plain floats here so no graph is built.


# %%
def L_of(a, b, c, f):
    return (a * b + c) * f


h = 1e-6
numerical = (L_of(2.0 + h, -3.0, 10.0, -2.0) - L_of(2.0, -3.0, 10.0, -2.0)) / h
print(f"dL/da by hand: {grad_a}   by nudging: {numerical:.5f}")

# %% [markdown]
# ## The backward pass by the engine
#
# `L.backward()` does exactly what we did by hand: it orders the nodes so that each comes after
# everything it depends on (a **topological order**), then walks that order in reverse,
# applying each operation's local derivative rule and adding the result into its inputs' `.grad`.

# %%
L.backward()
for leaf in (a, b, c, f_):
    print(f"{leaf.label}: engine {leaf.grad:5.1f}   by hand {by_hand[leaf.label]:5.1f}")
    assert leaf.grad == by_hand[leaf.label]

draw_dot(L)

# %% [markdown]
# ## A neuron
#
# A neuron computes a weighted sum of its inputs plus a bias and passes it through an
# **activation function**, here $\tanh$: $o = \tanh(x_1 w_1 + x_2 w_2 + b)$.
# The derivative of $\tanh$ is $1 - \tanh^2$, so the local derivative of the last step is
# $\frac{\partial o}{\partial n} = 1 - o^2$, which only needs the output we already computed.


# %%
def neuron():
    """A fresh neuron: inputs x1, x2, weights w1, w2, bias b; returns (leaves, output)."""
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}, o


leaves, o = neuron()
do_dn = 1 - o.data**2  # local derivative of tanh
print(f"o = {o.data:.4f}, do/dn = 1 - o^2 = {do_dn:.4f}")
# n = x1*w1 + x2*w2 + b: the sums pass do/dn through, the products swap their inputs
print(
    f"by hand:  do/dw1 = {do_dn * leaves['x1'].data:.4f}   do/dx1 = {do_dn * leaves['w1'].data:.4f}"
)

o.backward()
print(f"engine:   do/dw1 = {leaves['w1'].grad:.4f}   do/dx1 = {leaves['x1'].grad:.4f}")
assert math.isclose(leaves["w1"].grad, do_dn * leaves["x1"].data)
draw_dot(o)

# %% [markdown]
# Notice `w2`: its gradient is 0 because its input `x2` is 0. Changing `w2` cannot change the
# output while `x2 = 0`. Gradients tell you which knobs matter *right now*.
#
# ### The same neuron as a library builds it
#
# `nn`'s neurons compute $w \cdot x + b$ as **one** node, `dot+b` (faster, and a smaller graph).
# Its rule is the one you just used: each weight gets upstream $\times$ its input. To see
# micrograd's picture again, `draw_dot(..., expand=True)` draws that node as the `*` and `+`
# nodes it stands for; each hidden product and partial sum shows the gradient the whole sum got
# (a `+` passes its gradient on unchanged).

# %%
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
n = dot([w1, w2], [x1, x2], b)
n.label = "n"
o_dot = n.tanh()
o_dot.label = "o"
o_dot.backward()
assert math.isclose(w1.grad, leaves["w1"].grad) and math.isclose(x1.grad, leaves["x1"].grad)
draw_dot(o_dot)

# %%
draw_dot(o_dot, expand=True)  # micrograd's lecture picture, from the one dot+b node

# %% [markdown]
# ## Gradients add up when a value is used twice
#
# If a value feeds several operations, a nudge to it reaches the output along every path, so
# the contributions **add** (the multivariable chain rule). With $y = a + a$ the gradient of
# $a$ is 2, not 1. This is why the engine *accumulates* into `.grad` with `+=`, and why
# gradients must be reset (`zero_grad()`, or `x.grad = 0.0`) before the next backward pass.

# %%
a = Value(3.0, label="a")
y = a + a
y.label = "y"
y.backward()
print("dy/da =", a.grad)

y.backward()  # a second backward adds again: 2 + 2
print("after a second backward:", a.grad)
a.grad = 0.0  # reset, as an optimizer's zero_grad() does
draw_dot(y)

# %% [markdown]
# ## The engine's backward pass, one step at a time
#
# `backward_steps(root)` runs the *same* backward pass as `backward()`, but pauses after each
# node and hands you a record of what it did: the node, the upstream gradient, each input's
# local derivative and the contribution added to that input's gradient. Printing a step shows
# its chain rule, with the names of the nodes.

# %%
leaves, o = neuron()
for step in backward_steps(o):
    print(step)

# %% [markdown]
# ### Step through it yourself
#
# `step_through(root)` runs that walk and draws the graph after every step: press **play**, or
# **next** and **previous**, or drag the slider. The drawing shows the gradients as they were
# right after the chosen step: the node whose rule runs, the inputs receiving a contribution
# and the nodes already done each have their own colour (see the legend), and the step's chain
# rule is written underneath. Watch the gradients fill in, from the output back to the leaves.
# The zoom buttons scale the drawing, **fit** fits it to the width, **follow** keeps the
# running node in view.
# (It needs `ipywidgets`, `pip install chainrule[notebooks]`, and a running notebook: on a static
# page, such as the documentation site, the web page further down stands in for it.)

# %% tags=["widget"]
leaves, o = neuron()
stepper = step_through(o)
display(stepper)

# %% [markdown]
# The stepper ran the whole walk when it was built, on the graph as if fresh, and left every
# `.grad` as it found it: the gradients live in its records. Each record carries the gradients
# as they were right after its step (`record.grad_of(node)`, `draw_dot(o, step=record)`); the
# last one's are exactly those of `backward()`:

# %%
leaves, o = neuron()  # the cell above again, without its display (a static page leaves it out)
last = step_through(o).records[-1]
fresh, o2 = neuron()
o2.backward()
for name, leaf in fresh.items():
    stepped = last.grad_of(leaves[name])
    now = leaves[name].grad
    print(f"{name}: stepped {stepped: .4f}   backward() {leaf.grad: .4f}   .grad now {now}")
    assert stepped == leaf.grad

# %% [markdown]
# ### The same, as a web page
#
# Widgets need a running Jupyter. `save_steps_html(root, path)` writes the same step-through as
# **one HTML file**: one drawing and a little script that sets each step's state on it, nothing
# fetched from the network. It starts with the forward pass (each node's data computed in
# order), then step 0 of the backward pass (the seed) and each of its steps. Use the slider,
# the buttons or the keys (arrows, Home, End, `0` for the seed, `+`/`-` to zoom), drag to pan,
# wheel to zoom; "follow" keeps the running node in view. Open it in any browser, mail it to a
# class, put it on a website. Here it is written to a temporary folder and shown below. Run
# `save_steps_html(o, "neuron_steps.html")` to keep one next to this notebook.

# %%
o_page = o  # the same graph: the walk starts afresh and leaves its grads alone
folder = tempfile.TemporaryDirectory()  # removed when the notebook's kernel stops
page = save_steps_html(o_page, Path(folder.name) / "neuron_steps.html")
print("wrote", page.name, f"({page.stat().st_size // 1024} kB)")
HTML(
    f'<div><iframe srcdoc="{html.escape(page.read_text(encoding="utf-8"))}" title="the backward '
    'pass of the neuron" style="width: 100%; height: 640px; border: 1px solid #ccc"></iframe></div>'
)

# %% [markdown]
# ## Why reverse topological order
#
# Why does the engine bother to sort the nodes? A first backward pass that a learner might
# write is a plain recursion: at a node, send each input its share (upstream times the local
# derivative), then recurse into that input straight away.


# %%
def local_derivatives(node):
    """(input, d node / d input) for the ops used here."""
    if node.op == "*":
        left, right = node.parents
        return [(left, right.data), (right, left.data)]
    if node.op == "+":
        return [(p, 1.0) for p in node.parents]
    if node.op == "tanh":
        return [(node.parents[0], 1 - node.data**2)]
    return []  # a leaf


def naive_backward(node):
    """Push node.grad into each input, then recurse into that input at once."""
    for parent, local in local_derivatives(node):
        parent.grad = (parent.grad or 0.0) + node.grad * local  # None: not computed yet
        naive_backward(parent)


# %% [markdown]
# On the neuron, where every node is used once (the graph is a tree), it gets every gradient
# right:

# %%
naive_leaves, o_naive = neuron()
o_naive.grad = 1.0
naive_backward(o_naive)
for name, leaf in naive_leaves.items():
    print(f"{name}: naive {leaf.grad: .4f}   backward() {fresh[name].grad: .4f}")
    assert math.isclose(leaf.grad, fresh[name].grad)

# %% [markdown]
# Now reuse a node: $a = x \cdot w$ and $y = a \cdot a$. The graph is a **diamond**: $a$ reaches
# $y$ along two edges. By hand, $\frac{\partial y}{\partial a} = 2a$, so
# $\frac{\partial y}{\partial x} = 2a \cdot w$ and $\frac{\partial y}{\partial w} = 2a \cdot x$.


# %%
def diamond():
    """y = a * a with a = x * w: the node a is used twice."""
    x = Value(3.0, label="x")
    w = Value(2.0, label="w")
    a = x * w
    a.label = "a"
    y = a * a
    y.label = "y"
    return x, w, a, y


x, w, a, y = diamond()
y.grad = 1.0
naive_backward(y)
print(f"naive:      dy/da = {a.grad:5.1f}   dy/dx = {x.grad:5.1f}   dy/dw = {w.grad:5.1f}")

x2, w2, a2, y2 = diamond()
y2.backward()
print(f"backward(): dy/da = {a2.grad:5.1f}   dy/dx = {x2.grad:5.1f}   dy/dw = {w2.grad:5.1f}")
print(f"by hand:    dy/da = {2 * a2.data:5.1f}   dy/dx = {2 * a2.data * w2.data:5.1f}   "
      f"dy/dw = {2 * a2.data * x2.data:5.1f}")
assert x2.grad == 2 * a2.data * w2.data and x.grad != x2.grad
draw_dot(y2)

# %% [markdown]
# The naive recursion gets $\frac{\partial y}{\partial a}$ right (both shares arrive) but
# $x$ and $w$ wrong: it went down from $a$ **as soon as the first share arrived**, with half of
# $a$'s gradient, and then again after the second share, with the whole of it. So $x$ received
# $6 \cdot w$ and then $12 \cdot w$: $1.5$ times too much. In a deep network, where nodes are
# reused everywhere, the errors compound.
#
# The fix is the order. A node may pass its gradient on only when it is **complete**, that is
# after every node that uses it has sent its share. Sorting the nodes so that each comes after
# its inputs (a topological order) and walking that list backwards guarantees exactly that, and
# each node is processed **once**. That is what `backward()` does; `backward_steps` shows its
# order, one step per node (the leaves have no rule to run):

# %%
x3, w3, a3, y3 = diamond()
print("order of the steps:", [step.node.label for step in backward_steps(y3)])
print(f"dy/dx = {x3.grad}, dy/dw = {w3.grad}")

# %% [markdown]
# ## What to remember
#
# * The forward pass computes values **and records the graph**.
# * Each operation only needs its **local derivative**; the chain rule multiplies it by the
#   upstream gradient and adds the result into the input's gradient.
# * The backward pass visits the nodes in **reverse topological order**, so each node's
#   gradient is complete before it is passed on.
# * Gradients **accumulate**: reset them between backward passes.
# * A plain recursion double-counts as soon as a node is reused; the topological order makes
#   each node wait until its gradient is complete, and visits it once.
#
# **Try it:** replace `tanh` by `relu()` or `sigmoid()` in `neuron()`, or make `x2` nonzero,
# and predict each gradient by hand before you run `step_through`. Then write a topological
# sort yourself (a depth-first search that appends a node after its inputs) and check that
# walking it backwards fixes `naive_backward` on the diamond.
