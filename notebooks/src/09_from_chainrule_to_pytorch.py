# %% [markdown]
# # 9. From chainrule to PyTorch
#
# chainrule was written to teach what PyTorch does, and it uses PyTorch's names on purpose:
# `Linear`, `Sequential`, `backward()`, `.grad`, `zero_grad()`, `step()`, `state_dict()`. When a
# model outgrows a teaching engine (GPUs, convolutions, bigger data), moving it is one call:
# `nn.to_torch(model)` returns a `torch.nn.Module` with the same weights, and
# `nn.from_torch(module)` comes back. Here we train the digits network of notebook 5 in
# chainrule, move it, and check that PyTorch gives the same numbers; then we train it in both
# libraries side by side, step by step.
#
# This notebook needs PyTorch, which chainrule does not install. The CPU build (a few hundred
# MB, instead of several GB with the CUDA libraries) is
# `pip install torch --index-url https://download.pytorch.org/whl/cpu`.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import nn
from autograd import Tensor, no_grad

# %% [markdown]
# ## What maps to what
#
# | chainrule | PyTorch |
# |---|---|
# | `Tensor(x, requires_grad=True)` | `torch.tensor(x, requires_grad=True)` |
# | `t.data` (a NumPy array), `t.item()` | `t.detach().numpy()`, `t.item()` |
# | `loss.backward()`, then `p.grad` (a NumPy array) | `loss.backward()`, then `p.grad` (a tensor) |
# | `with no_grad():` | `with torch.no_grad():` |
# | `nn.Linear`, `nn.Sequential`, `nn.ReLU`, `nn.Tanh`, `nn.Sigmoid`, `nn.Dropout`, `nn.Flatten` | `torch.nn.` with the same names and arguments |
# | the scalar `nn.MLP(2, [16, 16, 1])` | `Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(), Linear(16, 1))` |
# | `nn.cross_entropy(logits, y)`, `nn.mse_loss` | `torch.nn.functional.cross_entropy(logits, y)`, `mse_loss` |
# | `nn.SGD(model.parameters(), lr=0.05, momentum=0.9)`, `nn.Adam` | `torch.optim.SGD(...)` with the same arguments, `torch.optim.Adam` |
# | `model.train()`, `model.eval()` | the same |
# | `model.state_dict()`, `model.save(path)`, `model.load(path)` | `model.state_dict()`, `torch.save(model.state_dict(), path)`, `model.load_state_dict(torch.load(path))` |
# | `nn.manual_seed(0)` | `torch.manual_seed(0)` |
# | `nn.batches(X, y, batch_size=32, seed=0)` | `DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)` |
# | `nn.fit(model, X, y, ...)` | a loop you write (below), or a library on top (PyTorch Lightning, skorch) |
# | `gradcheck(f, inputs)` | `torch.autograd.gradcheck(f, inputs)` |

# %% [markdown]
# ## Train in chainrule
#
# The model of notebook 5 (64 pixels, 64 hidden ReLU units, dropout, 10 logits), in **float64**:
# both libraries then compute with the same precision, and their results agree to the last
# few digits. (In float32, the default of both, they agree to about 6 digits: the two libraries
# add up the same numbers in a different order.)

# %%
X, y = nn.datasets.digits()
X_train, X_val, y_train, y_val = nn.train_test_split(X, y, test_size=0.3, seed=0)


def make_model(dropout=0.2):
    layers = [nn.Linear(64, 64, seed=0, dtype=np.float64), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout, seed=0))
    layers.append(nn.Linear(64, 10, seed=1, dtype=np.float64))
    return nn.Sequential(*layers)


model = make_model()
history = nn.fit(
    model,
    X_train,
    y_train,
    loss=nn.cross_entropy,
    optimizer=nn.SGD(model.parameters(), lr=0.05, momentum=0.9),
    epochs=5,
    validation_data=(X_val, y_val),
    progress=False,
    seed=0,
)
print(f"after 5 epochs: validation accuracy {history.history['val_accuracy'][-1]:.3f}")

# %% [markdown]
# ## Move it, and compare
#
# `nn.to_torch` copies every weight into a torch layer of the same type and dtype, in the same
# order, and copies the train/eval mode too: after `model.eval()` the torch model is in eval
# mode, with dropout off.

# %%
model.eval()
torch_model = nn.to_torch(model)
print(model)
print(torch_model)

# %%
with no_grad():
    logits = model(Tensor(X_val))
    loss = nn.cross_entropy(logits, y_val).item()
with torch.no_grad():
    torch_logits = torch_model(torch.from_numpy(X_val))
    torch_loss = torch.nn.functional.cross_entropy(torch_logits, torch.from_numpy(y_val)).item()

pred, torch_pred = logits.data.argmax(axis=1), torch_logits.argmax(dim=1).numpy()
print(f"{'':24s}{'chainrule':>20s}{'PyTorch':>20s}")
print(f"{'validation loss':24s}{loss:20.15f}{torch_loss:20.15f}")
accuracy, torch_accuracy = np.mean(pred == y_val), np.mean(torch_pred == y_val)
print(f"{'validation accuracy':24s}{accuracy:20.15f}{torch_accuracy:20.15f}")
print("first 12 predicted digits, chainrule:", pred[:12])
print("                           PyTorch:  ", torch_pred[:12])
gap = np.abs(logits.data - torch_logits.numpy()).max()
print(f"largest difference between the {logits.data.size} logits: {gap:.1e}")
print(f"the {len(y_val)} predicted digits are all equal: {bool(np.all(pred == torch_pred))}")

# %% [markdown]
# The same loss, the same accuracy, the same prediction for every image. The logits are often
# equal to the last bit (both libraries hand the matrix products to a BLAS routine); where two
# libraries add the same numbers in a different order, expect differences of float64 rounding,
# about $10^{-16}$ relative, and nothing more.
#
# ## Train both, step by step
#
# Now the loop that `nn.fit` runs for you, written out in both libraries, line for line. Both
# models start from the same weights (`to_torch` of the same fresh model) and see the same
# mini-batches (`nn.batches` with the same seeds), with the same SGD. Dropout is left out here:
# each library draws its dropout masks from its own random generator, so in training mode they
# switch off different units (the only thing that does not carry over).

# %%
ours = make_model(dropout=0)
theirs = nn.to_torch(ours)  # the same starting weights
ours_sgd = nn.SGD(ours.parameters(), lr=0.05, momentum=0.9)
theirs_sgd = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)


def chainrule_step(xb, yb):
    ours_sgd.zero_grad()
    loss = nn.cross_entropy(ours(Tensor(xb)), yb)
    loss.backward()
    ours_sgd.step()
    return loss.item()


def torch_step(xb, yb):
    theirs_sgd.zero_grad()
    loss = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(xb)), torch.from_numpy(yb))
    loss.backward()
    theirs_sgd.step()
    return loss.item()


losses = {"chainrule": [], "PyTorch": []}
for epoch in range(3):
    for xb, yb in nn.batches(X_train, y_train, batch_size=32, seed=epoch):
        losses["chainrule"].append(chainrule_step(xb, yb))
        losses["PyTorch"].append(torch_step(xb, yb))

a, b = np.array(losses["chainrule"]), np.array(losses["PyTorch"])
print(f"{'step':>5s}{'chainrule loss':>22s}{'PyTorch loss':>22s}{'difference':>12s}")
for step in [0, 1, 2, 3, 10, 30, 60, 90, len(a) - 1]:
    print(f"{step + 1:5d}{a[step]:22.15f}{b[step]:22.15f}{abs(a[step] - b[step]):12.1e}")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
left.plot(a, label="chainrule", lw=3, alpha=0.5)
left.plot(b, "--", label="PyTorch")
left.set_xlabel("step (mini-batch of 32)")
left.set_ylabel("training loss")
left.legend()
diff = np.abs(a - b)
right.semilogy(np.flatnonzero(diff), diff[diff > 0], ".")
right.set_ylim(1e-18, 1e-14)
right.set_xlabel("step")
right.set_ylabel("|chainrule loss - PyTorch loss|")
right.set_title(f"{np.sum(diff == 0)} of {len(diff)} steps equal, the others differ by:")
fig.tight_layout()
plt.show()

weight_gap = max(
    np.abs(p.data - q.detach().numpy()).max()
    for p, q in zip(ours.parameters(), theirs.parameters())
)
print(f"after {len(a)} steps the weights differ by at most {weight_gap:.1e}")

# %% [markdown]
# The two curves lie on top of each other. Every step, both libraries compute the same
# gradients and take the same SGD step: the losses are equal to the last bit or differ by one
# or two units of float64 rounding (about $10^{-16}$), which does not grow over
# the run and is far below anything that changes a prediction.
#
# ## Checkpoints
#
# The tensor layers use PyTorch's names and shapes (`0.weight` is `(out_features,
# in_features)`, `0.bias`), so a chainrule checkpoint fits a torch model built by hand. Only the
# arrays must become torch tensors, which `nn.torch_state_dict` does; `strict=True` checks
# that every key matches. The other way needs nothing: chainrule's `load_state_dict` takes
# torch tensors.

# %%
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "digits.npz"
    model.save(path)  # the model trained above, with dropout
    print("in the checkpoint:", {k: v.shape for k, v in np.load(path).items()})
    by_hand = torch.nn.Sequential(
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(64, 10),
    ).double()
    print(by_hand.load_state_dict(nn.torch_state_dict(path), strict=True))

by_hand.eval()
with torch.no_grad():
    same = torch.equal(by_hand(torch.from_numpy(X_val)), torch_logits)
print("the hand-built torch model gives the same logits:", same)

back = make_model()
back.load_state_dict(by_hand.state_dict())  # torch -> chainrule
print("and back in chainrule:", np.array_equal(back.eval()(Tensor(X_val)).data, logits.data))

# %% [markdown]
# ## The scalar MLP, and what does not convert
#
# The scalar `MLP` of notebook 4 becomes a torch `Sequential` of `Linear` layers (its weights
# `w` of each neuron become one row of a weight matrix), in float64 like `Value`. One
# difference: the torch model takes a whole batch, and a single output comes back with a last
# axis of size 1 instead of as a bare number.

# %%
mlp = nn.MLP(2, [16, 16, 1], seed=0)
torch_mlp = nn.to_torch(mlp)
print(torch_mlp)
points = [[0.5, -1.0], [2.0, 0.25]]
print("chainrule:", [mlp(p).data for p in points])
print("PyTorch:  ", torch_mlp(torch.tensor(points, dtype=torch.float64)).squeeze(1).tolist())

# %% [markdown]
# Only layers that exist in both libraries convert; anything else is an error that names the
# layer and where it is:

# %%
try:
    nn.from_torch(torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.GELU()))
except TypeError as error:
    print(error)

# %% [markdown]
# ## What to remember
#
# * `nn.to_torch(model)` and `nn.from_torch(module)` move a model between the libraries with
#   the same weights, dtype and train/eval mode; the same inputs give the same outputs, the
#   same gradients, and the same training run step by step (in float64, to rounding).
# * Checkpoints fit too: chainrule's tensor layers already use torch's names and shapes;
#   `nn.torch_state_dict(path)` turns a chainrule checkpoint into tensors for
#   `load_state_dict(..., strict=True)`.
# * What you write yourself in PyTorch is the loop that `nn.fit` ran: `zero_grad()`, forward,
#   loss, `backward()`, `step()`, the same five lines as in chainrule.
# * Two differences to watch: torch does not cast inputs (a float64 array into a float32 model
#   is an error, where chainrule's `Linear` casts it), and dropout masks come from each
#   library's own random generator.
#
# **Try it:** train with `nn.Adam` and `torch.optim.Adam` side by side; or leave out
# `dtype=np.float64` and see how far float32 runs drift apart.
