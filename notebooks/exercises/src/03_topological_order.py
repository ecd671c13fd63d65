# %% [markdown]
# # Exercise 3. The topological order and `backward()`
#
# A node's `_backward` may run only once its `.grad` is complete: after every node that uses
# it has passed its share back. So the backward pass visits the nodes in **reverse
# topological order**: a list in which each node comes after all its inputs, read backwards.
#
# The graphs here are made of `MicroValue`, the tiny `Value` of exercise 2 (it is that
# exercise's answer: do exercise 2 first). A node's inputs are `node._prev`.

# %%
from autograd import exercises
from autograd.exercises import MicroValue

# %% [markdown]
# ## 3.1 The recursion
#
# micrograd's way: a depth-first search that appends a node after it has visited all its
# inputs. Keep a `visited` set: a node used twice must be listed once (and without the set, a
# graph where each node is used twice takes exponential time).


# %%
def topo_recursive(root):
    """Every node root depends on (root included), each after all its inputs."""
    # BEGIN SOLUTION
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                visit(child)
            order.append(node)

    visit(root)
    return order
    # END SOLUTION


# %%
recursive = exercises.check("topo_recursive", topo_recursive)

# %% [markdown]
# ## ... and where it breaks
#
# Every nested call is a frame on Python's stack, and the stack is limited
# (`sys.getrecursionlimit()`, usually 1000). A graph deeper than that, such as a recurrent
# network unrolled over a long sequence, or a chain of a few thousand ops, ends the recursion:

# %%
import sys

deep = MicroValue(0.1)
for _ in range(2 * sys.getrecursionlimit()):
    deep = (deep * 0.9 + 0.05).tanh()

if recursive:
    try:
        topo_recursive(deep)
        print("no error?! (is your limit unusually high?)")
    except RecursionError as error:
        print("RecursionError:", error)
else:
    print("Finish topo_recursive above first.")

# %% [markdown]
# ## 3.2 The iterative walk
#
# The same order without a recursion: keep the stack yourself. One way: push `(node, False)`;
# when you pop `(node, False)` for a node not yet visited, mark it visited, push
# `(node, True)` and then `(child, False)` for each input; when you pop `(node, True)`, all its
# inputs are placed, so append it.


# %%
def topo_iterative(root):
    """The order of topo_recursive, with a stack of your own."""
    # BEGIN SOLUTION
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if child not in visited)
    return order
    # END SOLUTION


# %%
exercises.check("topo_iterative", topo_iterative);

# %% [markdown]
# ## 3.3 `backward()`
#
# Seed the output, `root.grad = 1` (d root / d root), then run each node's `_backward` in
# reverse topological order, with your `topo_iterative`.


# %%
def backward(root):
    """Fill .grad of every node root depends on with d(root)/d(node)."""
    # BEGIN SOLUTION
    root.grad = 1.0
    for node in reversed(topo_iterative(root)):
        node._backward()
    # END SOLUTION


# %%
result = exercises.check("backward", backward)

# %% [markdown]
# chainrule's own walk (`autograd.core.topological_order`) is this loop; it is why a chain of a
# million ops differentiates without a `RecursionError`.

# %%
if result:
    leaf = MicroValue(1.0)
    x = leaf
    for _ in range(5_000):
        x = x * 0.9999 + 0.01
    backward(x)
    print(f"d(root)/d(leaf) through 10,000 ops: {leaf.grad:.6f} (0.9999 ** 5000 = {0.9999**5000:.6f})")
else:
    print("Finish backward above first.")
