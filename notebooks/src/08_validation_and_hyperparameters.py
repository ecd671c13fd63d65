# %% [markdown]
# # 8. Validation data that does its job: choosing hyperparameters, stopping early
#
# The learning rate, the batch size, the number of epochs, the width of a layer: none of them
# is learned by gradient descent. They are **hyperparameters**, and we choose them by trying
# several and keeping the one that does best. "Best" on which data? Not on the training data
# (a network that memorizes wins there), and not on the data we will report at the end
# (that would make the report a lie, as we will measure). The answer is three sets:
#
# | set | used for | how often |
# |---|---|---|
# | **training** | gradient descent: the weights | every step |
# | **validation** | choosing: hyperparameters, when to stop | after every epoch or run |
# | **test** | reporting: how good the final model is on new data | **once**, at the end |

# %%
import matplotlib.pyplot as plt
import numpy as np

import nn

# %% [markdown]
# ## Three sets
#
# The 1,797 digits of notebook 5. We first put 500 aside as **fresh data**, standing for images
# that arrive after the model is finished (we need them only to show the pitfall below). The
# rest is split three ways with `nn.train_val_test_split`; `stratify=y` keeps the ten digits in
# the same proportions in every part.

# %%
X, y = nn.datasets.digits()
X_rest, X_fresh, y_rest, y_fresh = nn.train_test_split(X, y, test_size=500, seed=1)
X_train, X_val, X_test, y_train, y_val, y_test = nn.train_val_test_split(
    X_rest, y_rest, val_size=250, test_size=250, seed=0, stratify=y_rest
)
for name, part in [("training", X_train), ("validation", X_val), ("test", X_test)]:
    print(f"{name:10s} {len(part):4d} images")
print(f"{'fresh':10s} {len(X_fresh):4d} images (kept for the pitfall)")

# %% [markdown]
# ## A grid over learning rate and batch size
#
# `nn.grid_search` trains one model per combination of the values in `param_grid`, each from
# the same starting weights and the same shuffling, and compares them **on the validation data
# only** (it has no argument for a test set). `build(**params)` returns the model and its
# optimizer; `batch_size` and `epochs` in the grid go to `fit`. Each row reports the validation
# figures at the run's best epoch.


# %%
def build(lr):
    model = nn.Sequential(nn.Linear(64, 32, seed=0), nn.ReLU(), nn.Linear(32, 10, seed=1))
    return model, nn.SGD(model.parameters(), lr=lr, momentum=0.9)


search = nn.grid_search(
    build,
    {"lr": [0.003, 0.01, 0.03, 0.1, 0.3], "batch_size": [16, 64, 256]},
    X_train,
    y_train,
    validation_data=(X_val, y_val),
    loss=nn.cross_entropy,
    epochs=15,
)
print(f"{'lr':>6s}{'batch':>7s}{'val loss':>10s}{'val acc':>9s}{'epoch':>7s}{'seconds':>9s}")
for row in search.rows:
    if row["diverged"]:
        print(f"{row['lr']:6g}{row['batch_size']:7d}   diverged")
        continue
    print(
        f"{row['lr']:6g}{row['batch_size']:7d}{row['best_val_loss']:10.3f}"
        f"{row['best_val_accuracy']:9.3f}{row['best_epoch']:7d}{row['seconds']:9.2f}"
    )
print("best:", search.best_params)

# %% [markdown]
# The same numbers as a heatmap (`search.plot()` draws one too; here we draw it ourselves, with
# the batch sizes in numeric order and the values written in the cells):

# %%
lrs, sizes = [0.003, 0.01, 0.03, 0.1, 0.3], [16, 64, 256]
table = np.full((len(sizes), len(lrs)), np.nan)
for row in search.rows:
    if not row["diverged"]:
        table[sizes.index(row["batch_size"]), lrs.index(row["lr"])] = row["best_val_loss"]
fig, ax = plt.subplots(figsize=(6, 3))
image = ax.imshow(table, cmap="viridis_r", norm="log")
for (i, j), value in np.ndenumerate(table):
    colour = "k" if value < 0.5 else "w"  # dark text on the light (good) cells
    ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=9, color=colour)
ax.set_xticks(range(len(lrs)), [str(lr) for lr in lrs])
ax.set_yticks(range(len(sizes)), [str(b) for b in sizes])
ax.set_xlabel("learning rate")
ax.set_ylabel("batch size")
fig.colorbar(image, ax=ax, label="best validation loss (log scale)")
plt.show()

# %% [markdown]
# The table is sorted by validation loss, best first. The heatmap shows the pattern: along
# each row (one batch size) there is a band of good learning rates, too small is slow (15
# epochs are not enough), too large is unstable. And the band moves with the batch size: larger
# batches take fewer steps per epoch and tolerate, and need, larger learning rates (notebook 3).
# Learning rate and batch size must be chosen **together**; that is why we search a grid and
# not one at a time.
#
# ## Early stopping
#
# How many epochs? Too few underfits, too many overfits (notebook 5). Rather than guess, watch
# the validation loss and stop when it has not improved for `patience` epochs, then go back to
# the weights of the best epoch. To make the point visible, a wide network on 150 training
# images, which overfits quickly:

# %%
model = nn.Sequential(nn.Linear(64, 256, seed=0), nn.ReLU(), nn.Linear(256, 10, seed=1))
stopper = nn.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
h = nn.fit(
    model,
    X_train[:150],
    y_train[:150],
    loss=nn.cross_entropy,
    optimizer=nn.Adam(model.parameters(), lr=3e-3),
    epochs=200,
    batch_size=32,
    validation_data=(X_val, y_val),
    progress=False,
    seed=0,
    callbacks=[stopper],
)
print(f"best epoch {h.best_epoch}, stopped after epoch {h.stopped_epoch}: {h.stop_reason}")
restored = nn.evaluate(model, X_val, y_val, loss=nn.cross_entropy)
print(f"validation loss of the restored model: {restored['loss']:.3f}")
print(f"best validation loss in the history:   {min(h.history['val_loss']):.3f}")

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(h.epoch, h.history["loss"], label="training")
ax.plot(h.epoch, h.history["val_loss"], label="validation")
ax.axvline(h.best_epoch, color="k", ls="--", lw=1, label=f"best epoch ({h.best_epoch}), restored")
ax.axvline(h.stopped_epoch, color="gray", ls=":", lw=1, label=f"stopped ({h.stopped_epoch})")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("cross-entropy (log scale)")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# Training stopped `patience` epochs after the best one, instead of running all 200; the
# weights are those of the best epoch, not of the last. The number of epochs has become one
# more thing chosen on the validation data, automatically.
#
# ## The dropout rate is a hyperparameter too
#
# Dropout (`nn.Dropout(p)`) zeroes each hidden activation with probability `p` during training,
# so the network cannot lean on any single unit; at `p = 0` it does nothing, at `p = 0.8` it
# throws away most of the signal. Which rate is right depends on the network and the data, so
# it is chosen like the learning rate: a sweep, compared on the validation data. The same wide
# network on the same 150 images, with a dropout layer after its hidden layer:


# %%
def build_dropout(p):
    model = nn.Sequential(
        nn.Linear(64, 256, seed=0), nn.ReLU(), nn.Dropout(p, seed=2), nn.Linear(256, 10, seed=1)
    )
    return model, nn.Adam(model.parameters(), lr=3e-3)


rates = [0.0, 0.2, 0.4, 0.6, 0.8]
sweep = nn.grid_search(
    build_dropout,
    {"p": rates, "batch_size": [32]},
    X_train[:150],
    y_train[:150],
    validation_data=(X_val, y_val),
    loss=nn.cross_entropy,
    epochs=50,
)
by_rate = {row["p"]: row for row in sweep.rows}
print(f"{'p':>4s}{'best val loss':>15s}{'at epoch':>10s}{'final val loss':>16s}{'val acc':>9s}")
for p in rates:
    row = by_rate[p]
    print(f"{p:4.1f}{row['best_val_loss']:15.3f}{row['best_epoch']:10d}"
          f"{row['final_val_loss']:16.3f}{row['best_val_accuracy']:9.3f}")  # fmt: skip
print("chosen on validation data: p =", sweep.best_params["p"])

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(rates, [by_rate[p]["best_val_loss"] for p in rates], "o-", label="at the best epoch")
ax.plot(rates, [by_rate[p]["final_val_loss"] for p in rates], "s--", label="after 50 epochs")
ax.set_xlabel("dropout rate p")
ax.set_ylabel("validation cross-entropy")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# Read the two curves together. Without dropout the validation loss bottoms out early and
# then creeps up while the network memorizes its 150 images (the dashed curve above the solid
# one). Moderate rates reach a lower validation loss, later; at the highest rates it hardly
# creeps up at all. At `p = 0.8` the noise is too strong: training is slow and the best
# validation loss is the worst of the five. The differences are modest, and the best rate is
# whatever the sweep finds, not a folklore 0.5: with more data or a smaller network it may
# well be `p = 0`. Tune it on the validation data, together with the other hyperparameters.
#
# ## The test-set pitfall
#
# Suppose we skipped the validation set and chose among many configurations by their **test**
# accuracy. Here are 24 of them (width, learning rate and initial weights), each measured on
# the test set, and then the winner measured again on the 500 fresh images:

# %%
candidates = []
for width in (16, 32, 64):
    for lr in (0.01, 0.03):
        for seed in range(4):
            model = nn.Sequential(
                nn.Linear(64, width, seed=seed), nn.ReLU(), nn.Linear(width, 10, seed=seed + 10)
            )
            nn.fit(
                model,
                X_train,
                y_train,
                loss=nn.cross_entropy,
                optimizer=nn.SGD(model.parameters(), lr=lr, momentum=0.9),
                epochs=8,
                batch_size=32,
                metrics=[],
                progress=False,
                seed=seed,
            )
            test_acc = nn.evaluate(model, X_test, y_test)["accuracy"]
            fresh_acc = nn.evaluate(model, X_fresh, y_fresh)["accuracy"]
            candidates.append((test_acc, fresh_acc, width, lr, seed))

test_accs = np.array([c[0] for c in candidates])
fresh_accs = np.array([c[1] for c in candidates])
winner = candidates[int(np.argmax(test_accs))]
print(f"chosen by test accuracy: width {winner[2]}, lr {winner[3]}, seed {winner[4]}")
print(f"  its test accuracy (the estimate):     {winner[0]:.3f}")
print(f"  its accuracy on fresh data (the truth): {winner[1]:.3f}")
print(f"  the estimate was optimistic by {winner[0] - winner[1]:+.3f}")

fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(test_accs, fresh_accs, s=20, label="24 configurations")
ax.scatter(winner[0], winner[1], s=80, color="tab:red", label="the one chosen by test accuracy")
lo, hi = min(test_accs.min(), fresh_accs.min()) - 0.01, max(test_accs.max(), fresh_accs.max())
ax.plot([lo, hi + 0.01], [lo, hi + 0.01], color="gray", lw=0.8, label="test = fresh")
ax.set_xlabel("accuracy on the test set (250)")
ax.set_ylabel("accuracy on fresh data (500)")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# Every test accuracy is the truth plus some luck: 250 images are a sample, and a model can
# happen to suit them. Picking the **maximum** of 24 noisy numbers picks the luckiest one as
# well as a good one, so the winner's test accuracy overstates what it does on new data. The
# more configurations we compare, the larger this bias. The same happens on the validation
# set, which is exactly why the validation set is used for choosing and a *separate* test set,
# untouched by any choice, for reporting.
#
# ## The test set, once, at the end
#
# Back to the honest procedure. The grid chose on validation data; its best model (with the
# weights of its best epoch) is measured on the test set once, and that number is what we
# report:

# %%
final = nn.evaluate(search.best_model, X_test, y_test, loss=nn.cross_entropy)
print(f"chosen on validation data: {search.best_params}")
print(f"validation accuracy {search.rows[0]['best_val_accuracy']:.3f}")
print(f"test accuracy       {final['accuracy']:.3f}  (reported, and not used to change anything)")

# %% [markdown]
# If that test number disappoints, the temptation is to tweak and try again. Each time we do,
# the test set becomes a little more of a validation set and its number a little more
# optimistic.
#
# ## What to remember
#
# * **Training** data fits the weights, **validation** data chooses everything else
#   (hyperparameters, the epoch to stop at), **test** data measures the final model, once.
# * Search learning rate and batch size together (`nn.grid_search`); compare on validation data.
#   The dropout rate is swept the same way.
# * `nn.EarlyStopping(monitor="val_loss", patience=..., restore_best_weights=True)` stops when
#   the validation loss stops improving and goes back to the best epoch (`History.best_epoch`,
#   `stopped_epoch`, `stop_reason`).
# * The best of many scores on a set is an optimistic estimate on that set. Choosing by test
#   accuracy spends the test set.
#
# **Try it:** give the pitfall 100 test images instead of 250, or 96 configurations instead of
# 24: how does the optimism change? Early stopping with `patience=0` or `patience=30`?
