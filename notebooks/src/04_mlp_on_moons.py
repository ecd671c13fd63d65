# %% [markdown]
# # 4. A neural network on the moons
#
# This is the demo of Andrej Karpathy's *micrograd*: a small **multi-layer perceptron** (MLP),
# built from nothing but scalar `Value`s, learns to separate two interleaved half moons. Every
# one of its weights is a `Value` like those of notebook 1, and training is notebook 2's
# gradient descent. chainrule's engine runs it much faster (no recursion, small nodes), and
# `nn.fit` adds what a real training run needs: **validation data**, **metrics** and a record
# of the whole run.

# %%
import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd import Value, draw_dot

# %% [markdown]
# ## Neurons, layers, MLPs
#
# A **neuron** computes $\text{act}(w \cdot x + b)$; a **layer** is several neurons reading the
# same inputs; an **MLP** chains layers, each reading the previous layer's outputs.
# `MLP(2, [3, 1])` has 2 inputs, a hidden layer of 3 ReLU neurons and one linear output
# neuron: $2 \cdot 3 + 3$ weights and biases in the hidden layer, $3 + 1$ in the output.

# %%
tiny = nn.MLP(2, [3, 1], seed=0)
print(tiny)
print([p.label for p in tiny.parameters()])  # layer, neuron and role: L1.N2.w1 is a weight

# %% [markdown]
# Its output for one input point is a `Value`, the root of a graph that contains every weight.
# (`dot+b` is one neuron's weighted sum $w \cdot x + b$, done as a single node. The inputs are
# Values with `requires_grad=False`: data, not something to learn, drawn dashed.)

# %%
x = [Value(0.5, label="x1", requires_grad=False), Value(-1.0, label="x2", requires_grad=False)]
score = tiny(x)
score.backward()
draw_dot(score)

# %% [markdown]
# The network we train below, `MLP(2, [16, 16, 1])`, is the same picture with 337 parameters:
# too many boxes to read. `collapse="layer"` draws one box per layer (its inputs, its
# parameters, its outputs' gradient) and `collapse="neuron"` one box per neuron.

# %%
big = nn.MLP(2, [16, 16, 1], seed=0)
big_score = big(x)
big_score.backward()
draw_dot(big_score, collapse="layer")

# %%
draw_dot(big_score, collapse="neuron")

# %% [markdown]
# A loss over a batch runs the model once per sample, and every pass labels its nodes alike.
# Collapsed, each sample gets boxes of its own (`L1 · sample 2`; names such as `s2:L1.N1.a`),
# the parameters the samples share one box per layer, and the loss (the squared errors and
# their sum) one box:

# %%
def point(a, b):
    """An input point as Values named x1, x2 (as above): data, not parameters."""
    return [Value(a, label="x1", requires_grad=False), Value(b, label="x2", requires_grad=False)]


batch = [(point(0.5, -1.0), 1.0), (point(1.5, 0.2), -1.0), (point(-0.3, 0.8), 1.0)]
batch_loss = sum((tiny(xb) - yb) ** 2 for xb, yb in batch)
batch_loss.backward()
draw_dot(batch_loss, collapse="layer")

# %% [markdown]
# ## The data
#
# 200 noisy points of the two moons, with labels $-1$ and $+1$ (what the loss below expects).
# Half are for training; the other half is **validation data**: the model never learns from
# it, so its accuracy there estimates how well the model does on points it has not seen.

# %%
X, y = nn.datasets.moons(n_samples=200, noise=0.1, seed=1)
y = 2 * y - 1  # classes 0 / 1 -> labels -1 / +1
X_train, X_val, y_train, y_val = nn.train_test_split(X, y, test_size=0.5, seed=0)

fig, ax = plt.subplots(figsize=(4.5, 3.5))
ax.scatter(*X_train.T, c=y_train, cmap="coolwarm", s=15, edgecolors="k", linewidths=0.3)
ax.scatter(*X_val.T, c=y_val, cmap="coolwarm", s=15, marker="^", alpha=0.5)
ax.set_title("circles: training, triangles: validation")
plt.show()

# %% [markdown]
# ## The loss
#
# The network outputs a **score**; its sign is the predicted class. micrograd's demo uses the
# **hinge** (max-margin) loss $\max(0,\, 1 - y \cdot \text{score})$: zero when the score has
# the right sign with a margin of at least 1, growing linearly otherwise. A small **L2 penalty**
# $\alpha \sum w^2$ discourages large weights (weight decay), which keeps the boundary smooth.

# %%
model = nn.MLP(2, [16, 16, 1], seed=1337)
print(model)

alpha = 1e-4


def loss_fn(scores, labels):
    return nn.hinge_loss(scores, labels) + alpha * nn.l2_penalty(model.parameters())


# %% [markdown]
# ## Training
#
# `nn.fit` runs the loop of notebook 2 with the vocabulary of notebook 3. As in micrograd, every
# iteration uses the whole training set (`batch_size=None`), and the learning rate starts at 1.0
# and decays linearly to 0.1 over the 100 epochs (a **learning-rate schedule**: big steps
# first, small ones to settle). After every epoch, `fit` measures the loss and the accuracy on
# the validation data.

# %%
optimizer = nn.SGD(model.parameters(), lr=1.0)
schedule = nn.LambdaLR(optimizer, lambda epoch: 1.0 - 0.9 * epoch / 100)
history = nn.fit(
    model,
    X_train,
    y_train,
    loss=loss_fn,
    optimizer=optimizer,
    epochs=100,
    batch_size=None,
    schedule=schedule,
    validation_data=(X_val, y_val),
    metrics=["accuracy"],
    progress=False,
)
print(f"{history.seconds:.1f} s, {1000 * history.seconds / 100:.0f} ms per epoch")
print(history.table(max_rows=10))

# %% [markdown]
# `History.plot()` draws the record, training against validation:

# %%
history.plot()

# %% [markdown]
# The loss falls fast, but bumpily for the first half of the run, while the learning rate is
# still large; the curves settle as it decays. The validation curves follow the training
# curves closely: the model is not **overfitting** (memorizing the training points at the
# expense of new ones). When the validation loss starts rising while the training loss keeps
# falling, it is; notebook 5 shows that case and a remedy.
#
# ## Metrics on the validation data
#
# `nn.evaluate` computes the loss and metrics of the trained model; `nn.predict` returns its
# raw scores (in evaluation mode, without building a graph).

# %%
print("validation:", nn.evaluate(model, X_val, y_val, loss=loss_fn, metrics=["accuracy"]))

scores = nn.predict(model, X_val)
predicted = np.where(scores > 0, 1, -1)
for true in (-1, 1):
    counts = [int(np.sum((y_val == true) & (predicted == p))) for p in (-1, 1)]
    print(f"true class {true:+d}: predicted -1: {counts[0]:3d}, predicted +1: {counts[1]:3d}")

# %% [markdown]
# ## The decision boundary
#
# Evaluating the model on a grid of points shows which region of the plane it assigns to each
# class. The boundary is the curve where the score changes sign:

# %%
nn.plot_decision_boundary(model, X, y, resolution=60, title="MLP(2, [16, 16, 1]) on all 200 points")

# %% [markdown]
# ### The boundary over the epochs
#
# `nn.BoundaryRecorder` is a `fit` callback that stores the predicted class on a fixed grid
# after every epoch (the regions, not the model); `nn.animate_decision_boundary` plays them
# back. A fresh model, 20 epochs, on the grid of the figure above (60 x 60), one frame every
# second epoch (each frame is a forward pass per grid point):

# %%
from IPython.display import HTML

fresh = nn.MLP(2, [16, 16, 1], seed=1337)
recorder = nn.BoundaryRecorder(X, resolution=60, every=2)  # the grid of the figure above
optimizer = nn.SGD(fresh.parameters(), lr=1.0)
nn.fit(fresh, X_train, y_train, loss=loss_fn, optimizer=optimizer, epochs=20, batch_size=None,
       callbacks=[recorder], progress=False)
HTML(nn.animation_html(nn.animate_decision_boundary(recorder, X, y, interval=250)))

# %% [markdown]
# A straight line could not separate the moons; the hidden layers of ReLU neurons bend the
# boundary, piece by linear piece, around them.
#
# ## What to remember
#
# * An MLP is a big expression of `Value`s; training is gradient descent on all its weights.
# * Keep **validation data** apart and watch its loss and metrics: they, not the training
#   figures, tell you how the model will do on new data.
# * A learning-rate **schedule** gives big steps early and small ones late.
#
# **Try it:** train with `MLP(2, [4, 1])` (too small to bend enough) or with
# `activation="tanh"`; or set `alpha = 0` and add `noise=0.3` to the data to see overfitting.
