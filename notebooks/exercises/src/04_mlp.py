# %% [markdown]
# # Exercise 4. A neuron, a layer, an MLP, and one training step on moons
#
# Now on chainrule's `Value`. A **neuron** computes $\tanh(w \cdot x + b)$ (or, in a network's
# last layer, just $w \cdot x + b$); a **layer** is neurons side by side, all reading the same
# input; an **MLP** is layers in turn. The constructors are written (micrograd's: weights
# uniform in $[-1, 1]$, zero bias); write the forward passes, the parameter lists and a
# training step.

# %%
import random

from autograd import Value, exercises


# %%
class Neuron:
    """tanh(w . x + b), or w . x + b when nonlin is False."""

    def __init__(self, nin, nonlin=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x):
        # BEGIN SOLUTION
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh() if self.nonlin else act
        # END SOLUTION

    def parameters(self):
        # BEGIN SOLUTION
        return self.w + [self.b]
        # END SOLUTION


# %%
exercises.check("neuron", Neuron);


# %%
class Layer:
    """nout neurons reading the same input; one neuron's output alone when nout is 1."""

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        # BEGIN SOLUTION
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out
        # END SOLUTION

    def parameters(self):
        # BEGIN SOLUTION
        return [p for n in self.neurons for p in n.parameters()]
        # END SOLUTION


class MLP:
    """Layers in turn: tanh in the hidden ones, the last one linear."""

    def __init__(self, nin, nouts):
        sizes = [nin] + nouts
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1)
                       for i in range(len(nouts))]

    def __call__(self, x):
        # BEGIN SOLUTION
        for layer in self.layers:
            x = layer(x)
        return x
        # END SOLUTION

    def parameters(self):
        # BEGIN SOLUTION
        return [p for layer in self.layers for p in layer.parameters()]
        # END SOLUTION


# %%
exercises.check("layer", Layer)
exercises.check("mlp", MLP);

# %% [markdown]
# ## One training step
#
# The loss is the **mean squared error** over the batch, $\frac{1}{n}\sum_i (\text{model}(x_i) -
# y_i)^2$, with labels $\pm 1$. One step: compute the loss, **zero** every parameter's gradient
# (they accumulate), `backward()`, then move each parameter against its gradient,
# `p.data -= lr * p.grad`. Return the loss (a number).


# %%
def train_step(model, X, y, lr):
    """One step of gradient descent on the mean squared error; returns the loss."""
    # BEGIN SOLUTION
    loss = sum(((model(x) - yi) ** 2 for x, yi in zip(X, y)), Value(0.0)) / len(X)
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data
    # END SOLUTION


# %%
result = exercises.check("train_step", train_step, MLP)

# %% [markdown]
# ## Training on moons
#
# With every check passing, your MLP learns the two moons (`nn.datasets.moons`, labels mapped
# to $\pm 1$):

# %%
from nn.datasets import moons

if result:
    X, y01 = moons(40, noise=0.1, seed=1)
    X, y = X.tolist(), [2.0 * t - 1 for t in y01]
    random.seed(0)
    model = MLP(2, [8, 8, 1])
    for step in range(30):
        loss = train_step(model, X, y, lr=0.1)
        if step % 10 == 0 or step == 29:
            accuracy = sum((model(x).data > 0) == (t > 0) for x, t in zip(X, y)) / len(y)
            print(f"step {step:2d}: loss {loss:.3f}, accuracy {accuracy:.0%}")
else:
    print("Finish the exercises above first.")
