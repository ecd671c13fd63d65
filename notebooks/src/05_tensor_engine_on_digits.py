# %% [markdown]
# # 5. The tensor engine on handwritten digits
#
# The scalar engine makes one graph node per number. That is perfect for seeing the chain rule,
# but a batch of 32 images of 64 pixels through a 64-64-10 network, with one node per
# multiplication and addition as in micrograd, would need over half a million nodes *per step*
# (chainrule's scalar `MLP` does each neuron's weighted sum as one node, and still needs about
# 10,000), each handled by Python. The `Tensor` engine makes one node per **array**: a whole
# matrix product is one node, computed by NumPy. The chain rule is the same; only the local
# derivatives become matrix formulas.
#
# With it we train a real classifier, compare the common **optimizers** (SGD, momentum,
# RMSprop, Adam) and fight **overfitting** with **dropout**.

# %%
import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd import Tensor, draw_dot

# %% [markdown]
# ## One node per array
#
# A linear layer computes $h = \text{relu}(x W^\top + b)$ for a whole batch $x$ at once. The
# backward pass gives each parameter a gradient of its own shape: for a loss $L$ with upstream
# gradient $G = \partial L / \partial (x W^\top)$, the rules are
# $\partial L / \partial W = G^\top x$ and $\partial L / \partial x = G W$ (the scalar rule
# "multiply by the other input", with the shapes arranged to fit).

# %%
rng = np.random.default_rng(0)
x = Tensor(rng.normal(size=(4, 3)), label="x")  # a batch of 4 inputs with 3 features
W = Tensor(rng.normal(size=(2, 3)), requires_grad=True, label="W")
b = Tensor(np.zeros(2), requires_grad=True, label="b")
out = (x @ W.T + b).relu().sum()
out.label = "out"
out.backward(retain_graph=True)  # keep the graph to draw it afterwards
print("W.grad has W's shape:", W.grad.shape)
print(W.grad)
draw_dot(out)

# %% [markdown]
# ## The digits
#
# 1,797 images of handwritten digits, 8 x 8 pixels each, flattened into 64 numbers between 0
# and 1 (the dataset ships with scikit-learn, nothing is downloaded). 30% are held out for
# validation.

# %%
X, y = nn.datasets.digits()
X_train, X_val, y_train, y_val = nn.train_test_split(X, y, test_size=0.3, seed=0)
print("training:", X_train.shape, " validation:", X_val.shape)

fig, axes = plt.subplots(1, 8, figsize=(10, 1.6))
for ax, image, label in zip(axes, X_train, y_train):
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_title(str(label))
    ax.axis("off")
plt.show()

# %% [markdown]
# ## The model and the loss
#
# A network of tensor layers: 64 inputs, 64 hidden ReLU units, 10 outputs, one **logit** per
# digit. The **cross-entropy** loss turns the logits into probabilities with the softmax,
# $p_k = e^{z_k} / \sum_j e^{z_j}$, and charges $-\log p_{\text{true class}}$: near 0 for a
# confident right answer, large for a confident wrong one. Guessing (all $p_k = 0.1$) costs
# $\log 10 \approx 2.30$, where every run below starts.


# %%
def make_model(dropout=0.0):
    layers = [nn.Linear(64, 64, seed=0), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout, seed=0))
    layers += [nn.Linear(64, 64, seed=1), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout, seed=1))
    layers.append(nn.Linear(64, 10, seed=2))
    return nn.Sequential(*layers)


print(make_model())


def train(model, optimizer, X, y, epochs):
    return nn.fit(
        model,
        X,
        y,
        loss=nn.cross_entropy,
        optimizer=optimizer,
        epochs=epochs,
        batch_size=32,
        validation_data=(X_val, y_val),
        metrics=["accuracy"],
        progress=False,
        seed=0,
    )


# %% [markdown]
# ## Four optimizers
#
# With $g$ the gradient of a weight $w$ and $\eta$ the learning rate:
#
# * **SGD**: $w \leftarrow w - \eta g$.
# * **SGD with momentum**: keep a velocity $v \leftarrow \mu v + g$ and step
#   $w \leftarrow w - \eta v$. Steady gradients add up; gradients that flip sign cancel
#   (notebook 2 showed it in a narrow valley). $\mu = 0.9$ is usual.
# * **RMSprop**: keep a running average of the *squared* gradient,
#   $s \leftarrow \alpha s + (1 - \alpha) g^2$, and step $w \leftarrow w - \eta\, g /
#   (\sqrt{s} + \epsilon)$. Each weight gets its own step size: weights with large gradients
#   slow down, weights with small gradients speed up.
# * **Adam**: both at once, a running average of the gradient $m$ (momentum) and of its square
#   $v$ (RMSprop), with the **betas** $(\beta_1, \beta_2)$ as their decay rates (below).
#
# Each gets a learning rate that suits it (adaptive methods use much smaller ones); then 15
# epochs from the same starting weights:

# %%
optimizers = {
    "SGD (lr 0.05)": lambda params: nn.SGD(params, lr=0.05),
    "momentum 0.9 (lr 0.05)": lambda params: nn.SGD(params, lr=0.05, momentum=0.9),
    "RMSprop (lr 0.001)": lambda params: nn.RMSprop(params, lr=1e-3),
    "Adam (lr 0.001)": lambda params: nn.Adam(params, lr=1e-3),
}
histories = {}
for name, make_optimizer in optimizers.items():
    model = make_model()
    histories[name] = train(model, make_optimizer(model.parameters()), X_train, y_train, 15)
    h = histories[name]
    print(
        f"{name:24s} {h.seconds:5.2f} s   loss {h.history['loss'][-1]:.3f}   "
        f"validation accuracy {h.history['val_accuracy'][-1]:.3f}"
    )

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, h in histories.items():
    left.plot(h.epoch, h.history["loss"], marker="o", markersize=3, label=name)
    right.plot(h.epoch, h.history["val_accuracy"], marker="o", markersize=3, label=name)
left.set_yscale("log")
left.set_xlabel("epoch")
left.set_ylabel("training loss (log scale)")
right.set_xlabel("epoch")
right.set_ylabel("validation accuracy")
right.set_ylim(0.5, 1.0)
left.legend(fontsize="small")
right.legend(fontsize="small")
plt.show()

# %% [markdown]
# Plain SGD is the slowest here; momentum, at the same learning rate, is much faster; the
# adaptive methods get going quickly with a learning rate 50 times smaller. Rankings like this
# depend on the problem and on tuning each learning rate, so treat them as a typical picture,
# not a law. Adam's popularity comes from working reasonably well with its defaults
# (`lr=1e-3, betas=(0.9, 0.999)`) on most problems.
#
# ## Adam's betas, explained
#
# Both of Adam's averages are **exponential moving averages**:
# $m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t$. Unrolled, $m_t$ weighs the gradient of $k$
# steps ago by $(1 - \beta_1)\beta_1^k$: recent gradients count most, and the average spans
# roughly the last $1/(1 - \beta)$ steps: 10 steps for $\beta_1 = 0.9$ (the momentum), 1000 for
# $\beta_2 = 0.999$ (the squared gradient, which sets each weight's step size).
#
# Both averages start at 0, so early on they are too small: after one step $m_1 = 0.1\, g_1$.
# Adam divides by $1 - \beta^t$ (**bias correction**), which is exactly the total weight the
# average has collected so far. Here is a stream of noisy gradients with true mean 1:

# %%
rng = np.random.default_rng(1)
gradients = 1.0 + 0.5 * rng.normal(size=60)
beta1 = 0.9
m, raw, corrected = 0.0, [], []
for t, g in enumerate(gradients, start=1):
    m = beta1 * m + (1 - beta1) * g
    raw.append(m)
    corrected.append(m / (1 - beta1**t))

fig, ax = plt.subplots(figsize=(7, 3.3))
ax.plot(range(1, 61), gradients, ".", color="0.6", label="gradient g_t")
ax.plot(range(1, 61), raw, label="moving average m_t (beta1 = 0.9)")
ax.plot(range(1, 61), corrected, label="bias-corrected m_t / (1 - beta1^t)")
ax.axhline(1.0, color="k", lw=0.8, ls=":")
ax.set_xlabel("step t")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# The raw average needs about 20 steps to climb from 0; the corrected one is right from the
# first step, and much smoother than the gradients themselves. A larger $\beta_1$ smooths more
# but reacts more slowly when the gradient really changes.
#
# ## Overfitting, and dropout
#
# A network with enough weights can memorize a small training set: the training loss goes to
# 0 while the validation loss, after a while, goes **up**. That is **overfitting**. To provoke
# it we train on only 200 images for 100 epochs, with Adam at a higher learning rate.
#
# **Dropout** is a remedy: during training, each hidden unit is switched off (set to 0) with
# probability $p$ at every step, a different random set each time, and the survivors are scaled
# by $1/(1-p)$ to keep the expected total the same. No unit can rely on particular others, so
# the network learns more robust, redundant features. At evaluation time dropout is off:
# `model.eval()` switches it off and `model.train()` back on, and `nn.fit` does both for you
# (training steps in train mode, validation in eval mode).

# %%
X_small, y_small = X_train[:200], y_train[:200]
runs = {}
for p in (0.0, 0.5):
    model = make_model(dropout=p)
    optimizer = nn.Adam(model.parameters(), lr=3e-3)
    runs[p] = train(model, optimizer, X_small, y_small, epochs=100)
    val = runs[p].history["val_loss"]
    print(
        f"dropout p = {p}: final training loss {runs[p].history['loss'][-1]:.3f}; validation "
        f"loss best {min(val):.3f} (epoch {int(np.argmin(val)) + 1}), final {val[-1]:.3f}"
    )

# %% [markdown]
# Without dropout, the training and validation curves part ways: the training loss heads for
# 0 and the training accuracy reaches 100% (the 200 images are memorized), while the validation
# loss stops improving around epoch 45 and then creeps up. The gap between the two curves is
# what overfitting looks like.

# %%
runs[0.0].plot()

# %% [markdown]
# With dropout (p = 0.5) the training loss stays higher (the network is handicapped during
# training, and its training loss is measured with dropout on), but the validation loss ends
# lower and the gap stays small:

# %%
runs[0.5].plot()

# %% [markdown]
# Both runs on one plot, with a log scale to make the small losses visible:

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for p, h in runs.items():
    (line,) = ax.plot(h.epoch, h.history["val_loss"], label=f"validation, dropout p = {p}")
    ax.plot(h.epoch, h.history["loss"], ":", color=line.get_color(), label=f"training, p = {p}")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("cross-entropy (log scale)")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# ## What to remember
#
# * A `Tensor` node holds an array; the chain rule is unchanged, the local derivatives are
#   matrix formulas, and NumPy does the arithmetic.
# * Momentum adds up steady gradients; RMSprop gives each weight its own step size; Adam does
#   both, with $\beta_1$ (about 10 steps of gradient memory) and $\beta_2$ (about 1000 steps of
#   squared-gradient memory) and a bias correction for their start at zero.
# * Watch the **validation** loss: when it turns up while the training loss keeps falling, the
#   model is overfitting. Dropout (and more data, and weight decay) push back.
#
# **Try it:** Adam with `betas=(0.0, 0.999)` (no momentum) or `(0.9, 0.9)` (a short memory
# for step sizes); dropout `p=0.2`; or the full training set with and without dropout.
