# %% [markdown]
# # 3. Batch, stochastic and mini-batch gradient descent
#
# The loss of a model is an average over the training set:
# $L(w) = \frac{1}{N}\sum_{i=1}^{N} \ell(w; x_i, y_i)$. Its exact gradient needs a pass over
# all $N$ examples. But the gradient on *part* of the data points roughly the same way, and is
# much cheaper. How much data to use for each step gives three flavours of gradient descent:
#
# | name | examples per step (**batch size**) | steps per pass over the data |
# |---|---|---|
# | **batch** gradient descent | all $N$ | 1 |
# | **stochastic** gradient descent (SGD) | 1 | $N$ |
# | **mini-batch** gradient descent | $B$, e.g. 32 | $\lceil N / B \rceil$ |
#
# Vocabulary used by every library (and by `nn.fit`):
#
# * an **iteration** (or step) takes one batch through the forward pass, the loss, the backward
#   pass and one update of the weights;
# * an **epoch** is one pass over the whole training set: $\lceil N / B \rceil$ iterations.
#
# Here we train the same model, from the same starting weights, on the same data, for the same
# number of epochs and with the same learning rate, changing only the batch size.

# %%

import matplotlib.pyplot as plt
import numpy as np

import nn

# %% [markdown]
# ## The data and the model
#
# 400 points of the two-moons dataset (two interleaved half circles, with noise), split into
# 300 for training and 100 for **validation**: data the model never trains on, used to measure
# how well it generalizes.

# %%
X, y = nn.datasets.moons(n_samples=400, noise=0.2, seed=0)
X_train, X_val, y_train, y_val = nn.train_test_split(X, y, test_size=0.25, seed=0)
print("training:", X_train.shape, " validation:", X_val.shape)

fig, ax = plt.subplots(figsize=(4.5, 3.5))
ax.scatter(*X_train.T, c=y_train, cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3)
ax.set_title("two moons (training set)")
plt.show()

# %% [markdown]
# The model is a small network of tensor layers (notebook 5 looks at them in detail): 2 inputs,
# 16 hidden units with $\tanh$, one output score. The loss is the binary cross-entropy of the
# score (a **logit**: positive means class 1). Building it from fixed seeds gives every run the
# same starting weights.


# %%
def make_model():
    return nn.Sequential(nn.Linear(2, 16, seed=0), nn.Tanh(), nn.Linear(16, 1, seed=1))


def train(batch_size, lr=0.1, epochs=30):
    model = make_model()
    optimizer = nn.SGD(model.parameters(), lr=lr)
    return nn.fit(
        model,
        X_train,
        y_train,
        loss=nn.binary_cross_entropy_with_logits,
        optimizer=optimizer,
        epochs=epochs,
        batch_size=batch_size,  # None: the whole training set in every batch
        validation_data=(X_val, y_val),
        metrics=["accuracy"],
        progress=False,
        seed=0,  # the order in which examples are shuffled each epoch
    )


# %% [markdown]
# ## Three runs, 30 epochs each

# %%
runs = {"batch (B = 300)": None, "stochastic (B = 1)": 1, "mini-batch (B = 32)": 32}
histories = {name: train(batch_size) for name, batch_size in runs.items()}

print(f"{'':22s}{'iter/epoch':>11s}{'iterations':>11s}{'seconds':>9s}{'loss':>8s}{'val acc':>9s}")
for name, h in histories.items():
    per_epoch = h.params["iterations_per_epoch"]
    print(
        f"{name:22s}{per_epoch:11d}{len(h.iteration_loss):11d}{h.seconds:9.2f}"
        f"{h.history['loss'][-1]:8.3f}{h.history['val_accuracy'][-1]:9.2f}"
    )

# %% [markdown]
# * **Batch** gradient descent took 30 steps in total, one per epoch. Each step is exact but
#   there are few of them: after 30 epochs it has barely started.
# * **Stochastic** gradient descent took 300 steps per epoch, 9000 in all. It learns the most
#   *per epoch*, but it is the slowest per epoch: every step pays the full overhead of a forward
#   pass, a backward pass and an update, for a single example.
# * **Mini-batch** gradient descent takes 10 steps per epoch, each on 32 examples at once. The
#   array operations process a batch of 32 almost as fast as a single example, so an epoch
#   costs far less than with $B = 1$.
#
# ## Loss per epoch and loss per step

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, h in histories.items():
    (line,) = left.plot(h.epoch, h.history["loss"], label=f"{name}, training")
    left.plot(h.epoch, h.history["val_loss"], "--", color=line.get_color())
    steps = np.arange(1, len(h.iteration_loss) + 1)
    if h.params["batch_size"] > 1:
        right.plot(steps, h.iteration_loss, color=line.get_color(), label=name)
        continue
    # one example per step: draw it faintly, with its average over the last epoch on top
    right.plot(steps, h.iteration_loss, color=line.get_color(), lw=0.4, alpha=0.3, zorder=0)
    window = h.params["iterations_per_epoch"]
    average = np.convolve(h.iteration_loss, np.ones(window) / window, mode="valid")
    right.plot(steps[window - 1 :], average, color=line.get_color(), label=f"{name}, averaged")
left.set_xlabel("epoch")
left.set_ylabel("loss (dashed: validation)")
left.set_title("same number of epochs")
left.legend(fontsize="small")
right.set_xscale("log")
right.set_ylim(0, 1.5)
right.set_xlabel("iteration (log scale)")
right.set_ylabel("loss of the batch")
right.set_title("the loss at every step")
right.legend(fontsize="small")
plt.show()

# %% [markdown]
# On the right, the loss of each step. With $B = 1$ it is the loss of *one* example, which jumps
# around wildly (the faint band: some examples are easy, some hard, and many go off the top of
# the plot); only its average over an epoch trends down. Its gradient is a **noisy estimate**
# of the true gradient. With $B = 32$ the noise averages out to a large extent; with the full batch
# there is none. The noise is not all bad: it lets SGD take many cheap steps, and it can shake
# the weights out of poor regions. But it also means SGD never settles exactly: near the end it
# keeps jittering around the minimum, which is why learning rates are often decayed over time.
#
# ## The batch size, from 1 to N
#
# The same comparison over more batch sizes, still 30 epochs at the same learning rate:

# %%
sizes = [1, 4, 16, 64, 300]
results = []
for batch_size in sizes:
    h = train(batch_size)
    results.append((batch_size, h.params["iterations_per_epoch"], h.seconds, h.history["loss"][-1]))
    print(
        f"B = {batch_size:3d}: {h.params['iterations_per_epoch']:3d} iterations/epoch, "
        f"{h.seconds:5.2f} s, final loss {h.history['loss'][-1]:.3f}"
    )

fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.3))
a1.semilogx([r[0] for r in results], [r[2] for r in results], marker="o")
a1.set_xlabel("batch size")
a1.set_ylabel("seconds for 30 epochs")
a2.semilogx([r[0] for r in results], [r[3] for r in results], marker="o")
a2.set_xlabel("batch size")
a2.set_ylabel("training loss after 30 epochs")
plt.show()

# %% [markdown]
# Larger batches make each epoch cheaper, but with a fixed learning rate they also make fewer
# updates, so after a fixed number of epochs the loss is higher. Because a large batch gives a
# more accurate gradient, it can afford a larger learning rate. Batch gradient descent with a
# bigger step catches up with the mini-batch run:

# %%
for lr in (0.1, 1.0, 3.0):
    h = train(None, lr=lr)
    print(f"batch gradient descent, lr = {lr}: final loss {h.history['loss'][-1]:.3f}")

# %% [markdown]
# ## The anatomy of a mini-batch
#
# What does "the gradient of a batch" mean? Take one mini-batch of 8 training examples and
# compute each example's gradient **on its own**: a forward pass with that single example, its
# loss, a backward pass. Then compare with one backward pass through the loss of the whole
# batch.

# %%
from functools import partial

from autograd import Tensor

model = make_model()
xb, yb = X_train[:8], y_train[:8]


def gradients(loss):
    """Backpropagate `loss` and return a copy of every parameter's gradient."""
    model.zero_grad()
    loss.backward()
    return [p.grad.copy() for p in model.parameters()]


bce = nn.binary_cross_entropy_with_logits
per_example = [gradients(bce(model(Tensor(xb[i : i + 1])), yb[i : i + 1])) for i in range(8)]
batch_mean = gradients(bce(model(Tensor(xb)), yb))  # reduction="mean", the default
batch_sum = gradients(bce(model(Tensor(xb)), yb, reduction="sum"))

for k, p in enumerate(model.parameters()):
    stacked = np.stack([g[k] for g in per_example])  # shape (8, *p.shape)
    assert np.allclose(batch_mean[k], stacked.mean(axis=0))
    assert np.allclose(batch_sum[k], stacked.sum(axis=0))
print("reduction='mean' gives the mean of the 8 per-example gradients, 'sum' their sum")

# %% [markdown]
# The chain rule is linear: the derivative of a sum is the sum of the derivatives. So the
# gradient of the batch loss is the mean (or the sum) of the examples' gradients, for every
# parameter. Here is one of them, the output bias, example by example:

# %%
bias = np.array([g[3][0] for g in per_example])  # the gradient of the output layer's bias
fig, ax = plt.subplots(figsize=(7, 3.3))
ax.bar(np.arange(8), bias, color=["tab:blue" if t == 1 else "tab:red" for t in yb.ravel()])
ax.axhline(batch_mean[3][0], color="k", lw=2, label=f"mean = {batch_mean[3][0]:.3f}")
ax.axhline(batch_sum[3][0], color="k", ls="--", lw=2, label=f"sum = {batch_sum[3][0]:.3f}")
ax.axhline(0, color="gray", lw=0.5)
ax.set_xlabel("example in the batch (blue: class 1, red: class 0)")
ax.set_ylabel("d loss / d output bias")
ax.set_title("eight examples, eight opinions about the same parameter")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# The examples disagree: each one pushes the bias the way that fits *it* (class 1 examples
# want a larger score, class 0 examples a smaller one), by an amount that depends on how wrong
# the model is about it. The batch gradient is their compromise. This spread is the noise of
# stochastic gradient descent seen up close: with $B = 1$ every step follows one bar; with
# $B = 8$ it follows the mean, whose spread is about $1/\sqrt{8}$ of theirs.
#
# ### 'sum' scales the learning rate
#
# With `reduction="sum"` the gradient is $B$ times the mean, so every SGD step is $B$ times
# longer: the **effective learning rate** is $B \cdot \text{lr}$, and it changes when you change
# the batch size. Dividing the learning rate by $B$ undoes it exactly. Two runs of plain SGD,
# with 30 examples per batch (300 training examples make exactly 10 full batches):


# %%
def train_weights(reduction, lr, batch_size=30):
    model = make_model()
    nn.fit(
        model,
        X_train,
        y_train,
        loss=partial(bce, reduction=reduction),
        optimizer=nn.SGD(model.parameters(), lr=lr),
        epochs=5,
        batch_size=batch_size,
        progress=False,
        seed=0,
    )
    return [p.data for p in model.parameters()]


mean_run = train_weights("mean", lr=0.1)
sum_run = train_weights("sum", lr=0.1 / 30)
assert all(np.allclose(a, b) for a, b in zip(mean_run, sum_run))
print("mean with lr = 0.1 and sum with lr = 0.1 / 30: the same weights after 5 epochs")

same = all(
    np.allclose(a, b)
    for a, b in zip(train_weights("mean", 0.1, 32), train_weights("sum", 0.1 / 32, 32))
)
print("the same with B = 32?", same)

# %% [markdown]
# With $B = 32$ they differ: 300 examples make 9 batches of 32 and a last one of 12, and in that
# last batch 'mean' divides by 12 while `lr / 32` still divides by 32. 'mean' keeps the size of a
# step independent of the batch size, which is why it is the default (and why the learning rates
# of notebooks 2 to 5 carry over when the batch size changes). With 'sum', a short last batch gets
# a short step, and every change of $B$ asks for a new learning rate.

# %% [markdown]
# ## What to remember
#
# * One **iteration** = one batch through forward, backward and update; one **epoch** = one
#   pass over the training set = $\lceil N/B \rceil$ iterations.
# * **Batch** GD: exact but few, expensive steps. **Stochastic** GD: many cheap, noisy steps,
#   slow in wall time because nothing is vectorized. **Mini-batch** GD (B of 16 to 256 or so):
#   the usual compromise, and the default of `nn.fit` (`batch_size=32`).
# * The batch size and the learning rate go together: larger batches tolerate larger steps.
# * The gradient of a batch is the mean (`reduction="mean"`) or the sum (`"sum"`) of the
#   examples' own gradients. With 'sum' the effective learning rate is $B \cdot$ lr.
#
# **Try it:** give each run the same number of *iterations* instead of epochs, or the same
# wall time. Which one wins then?
