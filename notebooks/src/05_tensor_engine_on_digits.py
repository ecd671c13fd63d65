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
def make_model(dropout=0.0, width=64):
    layers = [nn.Linear(64, width, seed=0), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout, seed=0))
    layers += [nn.Linear(width, width, seed=1), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout, seed=1))
    layers.append(nn.Linear(width, 10, seed=2))
    return nn.Sequential(*layers)


print(make_model())

# %% [markdown]
# Each parameter is labelled with its `state_dict` key (`0.weight`), and each module's output
# with its place and kind (`0:Linear`; a `Linear` followed by a `ReLU` runs as one fused node,
# `0:Linear + 1:ReLU`). `collapse="module"` draws one box per module, with parameter shapes:

# %%
model = make_model()
loss = nn.cross_entropy(model(Tensor(X_train[:32])), y_train[:32])
loss.backward(retain_graph=True)
draw_dot(loss, collapse="module")


# %%

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
# it we make it easy to memorize: only 150 training images, a wider network (256 hidden units
# per layer, about 84,000 weights: more than 500 per image), 150 epochs of Adam at a higher
# learning rate.
#
# **Dropout** is a remedy: during training, each hidden unit is switched off (set to 0) with
# probability $p$ at every step, a different random set each time, and the survivors are scaled
# by $1/(1-p)$ to keep the expected total the same. No unit can rely on particular others, so
# the network learns more robust, redundant features. At evaluation time dropout is off:
# `model.eval()` switches it off and `model.train()` back on, and `nn.fit` does both for you
# (training steps in train mode, validation in eval mode).

# %%
X_small, y_small = X_train[:150], y_train[:150]
runs = {}
for p in (0.0, 0.5):
    model = make_model(dropout=p, width=256)
    optimizer = nn.Adam(model.parameters(), lr=3e-3)
    runs[p] = train(model, optimizer, X_small, y_small, epochs=150)
    val = runs[p].history["val_loss"]
    print(
        f"dropout p = {p}: final training loss {runs[p].history['loss'][-1]:.3f}; validation "
        f"loss best {min(val):.3f} (epoch {int(np.argmin(val)) + 1}), final {val[-1]:.3f}"
    )

# %% [markdown]
# Without dropout, the training and validation curves part ways: the training loss falls to
# 0.000 and the training accuracy reaches 100% (the 150 images are memorized), while the
# validation loss is at its best after about 20 epochs and then climbs for the remaining 130,
# by about a quarter. The gap between the two curves (0 against about 0.35) is what overfitting
# looks like: everything learned after epoch 20 is about these 150 images, not about digits.

# %%
runs[0.0].plot()

# %% [markdown]
# With dropout (p = 0.5) the training loss stays higher (the network is handicapped during
# training, and its training loss is measured with dropout on). Its best validation loss is
# lower (about 0.23 against 0.28) and comes later (epoch 36 against 19: memorizing is slower),
# and it ends lower too (about 0.30 against 0.35). It still climbs after its best: dropout
# narrows the gap, it does not remove it (notebook 8 stops training at the best epoch):

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
# ## Metrics versus loss
#
# We train on the cross-entropy but report the **accuracy**. Why not train on the accuracy, the
# number we actually care about? Take the last trained network, its logits on the validation
# set, and move one number along a line: add $t$ to every image's logit for the digit 0 (as if
# the bias of that output unit were shifted by $t$). For each $t$, both the accuracy and the
# cross-entropy of the same predictions:

# %%
from autograd import no_grad

model.eval()
with no_grad():
    logits = model(Tensor(X_val)).data
shifts = np.linspace(-15, 15, 601)
accuracy, cross_entropy = [], []
for t in shifts:
    z = logits.copy()
    z[:, 0] += t
    z -= z.max(axis=1, keepdims=True)  # for a stable softmax
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    accuracy.append(np.mean(z.argmax(axis=1) == y_val))
    cross_entropy.append(-np.mean(log_p[np.arange(len(y_val)), y_val]))

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
left.plot(shifts, accuracy, color="tab:green")
left.set_xlabel("t (added to the logit of digit 0)")
left.set_ylabel("validation accuracy", color="tab:green")
twin = left.twinx()
twin.plot(shifts, cross_entropy, color="tab:purple")
twin.set_ylabel("validation cross-entropy", color="tab:purple")
left.set_title("the same predictions, two measures")
right.plot(shifts, np.gradient(accuracy, shifts), color="tab:green", label="d accuracy / dt")
right.plot(shifts, np.gradient(cross_entropy, shifts), color="tab:purple", label="d loss / dt")
right.set_xlabel("t")
right.set_title("their slopes")
right.legend(fontsize="small")
plt.show()
flat = np.mean(np.diff(accuracy) == 0)
print(f"the accuracy does not change at all between {flat:.0%} of neighbouring values of t")

# %% [markdown]
# The accuracy is a **step function**: it changes only when some image's largest logit changes
# hands, and between those points it is perfectly flat. Its derivative is 0 almost everywhere
# (and undefined at the steps), so backpropagation through it would give every weight a gradient
# of 0: gradient descent would never move. The cross-entropy is smooth, and its slope says which
# way to go and how far we are from the best $t$, even where the accuracy is stuck.
#
# That is the division of labour:
#
# * the **loss** is what gradient descent minimizes, so it must be differentiable (and ideally
#   smooth): cross-entropy, mean squared error;
# * a **metric** is what we report and compare, so it should mean something to a person:
#   accuracy, error in euros. Metrics don't need to be differentiable, as they are not used for
#   gradient descent. `nn.fit(..., metrics=["accuracy"])` computes them on the side, without a
#   graph.
#
# A good loss moves with the metric, roughly: here the accuracy is highest around $t \approx -3$
# and the cross-entropy lowest around $t \approx 0.8$, both near where training left the bias.
# They are not the same function, so their best points differ a little. When they disagree,
# use the loss for training and the metric for choosing between models.

# %% [markdown]
# ## Trace once, replay many: a compiled training step
#
# Every step above builds a fresh graph: one Python object per op, a topological sort, the
# chain rule node by node. For a small network that bookkeeping costs more than the arithmetic.
# `nn.compile_step(model, loss_fn, optimizer)` runs the first step normally and **records** the
# NumPy work of its forward, loss, backward and update; later steps with inputs of the same
# shapes replay the record on plain arrays, with no graph at all. It is the idea of JAX's
# `jit`, PyTorch's `torch.compile` and tinygrad's `TinyJit`. The losses are the same as the
# ordinary step's, step by step:

# %%
def make_model():
    nn.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


xb, yb = Tensor(X_train[:32]), y_train[:32]
plain, compiled = make_model(), make_model()
opt_plain, opt_compiled = nn.SGD(plain.parameters(), lr=0.1), nn.SGD(compiled.parameters(), lr=0.1)
step = nn.compile_step(compiled, nn.cross_entropy, opt_compiled)
for k in range(5):
    loss = nn.cross_entropy(plain(xb), yb)
    plain.zero_grad()
    loss.backward()
    opt_plain.step()
    print(f"step {k}: ordinary {loss.item():.6f}   compiled {step(xb, yb):.6f}")

# %% [markdown]
# What was recorded, op by op: `x` is the batch, `p0`..`p3` the parameters, `y` the targets,
# `c` a constant, `v` an op's result. The `Linear` and `ReLU` modules run as one fused op.

# %%
print(step.tape())

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
# * The loss is for gradient descent and must be differentiable; a metric such as accuracy is a
#   step function with gradient 0 almost everywhere, fine for reporting and choosing, useless
#   for training.
#
# **Try it:** Adam with `betas=(0.0, 0.999)` (no momentum) or `(0.9, 0.9)` (a short memory
# for step sizes); dropout `p=0.2`; or the full training set with and without dropout.
