# %% [markdown]
# # 12. A CNN on digits
#
# The network of notebook 05 sees an image as 64 unrelated numbers: move a digit by one pixel
# and every input changes. A **convolutional** network slides one small kernel over the whole
# image, so the same weights look for the same pattern everywhere. Here we look at what a
# convolution is for the chain rule (a matrix product with a sparse, banded Jacobian), count
# what weight sharing saves, watch a kernel slide, then train a small CNN on the digits with
# validation data against the MLP of notebook 05, and look at its filters and feature maps.
#
# One BLAS thread (`threadpoolctl` comes with scikit-learn): the matrix products here are small,
# and on a busy machine BLAS threads waiting for each other made the training 10-25x slower.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML
from threadpoolctl import threadpool_limits

import nn
from autograd import Tensor, conv2d, gradcheck, jacobian, max_pool2d

threadpool_limits(1)

# %% [markdown]
# ## A convolution is a matrix product
#
# `conv2d(x, w)` (PyTorch's `F.conv2d`: NCHW arrays, a kernel `(out, in, kh, kw)`) computes at
# each output position the sum of the window of `x` under the kernel times the kernel. Each
# output depends on 9 of the 25 inputs of a 5 x 5 image, always through the same 9 weights: so
# its Jacobian $\partial\,\text{out} / \partial x$ is a 9 x 25 matrix that is mostly zeros, with
# the kernel's weights repeated along bands.

# %%
rng = np.random.default_rng(0)
image = Tensor(rng.normal(size=(1, 1, 5, 5)), requires_grad=True)
kernel = Tensor(np.arange(1.0, 10.0).reshape(1, 1, 3, 3))
out = conv2d(image, kernel)
print("output shape:", out.shape)

J = jacobian(lambda x: conv2d(x, kernel).reshape(-1), image).data.reshape(9, 25)
fig, ax = plt.subplots(figsize=(8, 3.2))
shown = ax.imshow(np.where(J == 0, np.nan, J), cmap="viridis")
ax.set_xlabel("input pixel (row by row)")
ax.set_ylabel("output cell")
ax.set_title("d out / d x: the kernel's 9 weights, shifted along the rows (blank = 0)")
fig.colorbar(shown, ax=ax)
plt.show()
print(f"{np.count_nonzero(J)} of {J.size} entries are not zero")

# %% [markdown]
# Because the Jacobian is linear in the input, the output *is* that matrix times the flattened
# image, and the backward pass to the image is its transpose times the upstream gradient. An
# engine never builds the matrix: it lays the windows out as the rows of a matrix (**im2col**)
# and multiplies by the kernel, one matrix product for the whole batch. The derivative of a
# convolution is again a convolution-like product (a *transposed* convolution for the input,
# windows times upstream for the kernel), so `gradcheck` and second derivatives work as for any
# other op.

# %%
print(np.allclose(J @ image.data.reshape(-1), out.data.reshape(-1)))
w = Tensor(rng.normal(size=(2, 1, 3, 3)), requires_grad=True)
print("gradcheck:", gradcheck(lambda x, w: max_pool2d(conv2d(x, w, padding=1), 2).tanh(), [image, w]))  # noqa: E501

# %% [markdown]
# ## Weight sharing, counted
#
# Eight 3 x 3 filters over an 8 x 8 digit (padding 1 keeps the size) make 8 maps of 8 x 8: 512
# numbers. A `Linear` layer making the same 512 numbers from the 64 pixels needs a weight for
# every pair; the convolution needs 9 per filter, shared by all 64 positions.

# %%
conv = nn.Conv2d(1, 8, 3, padding=1)
dense = nn.Linear(64, 8 * 8 * 8)
for name, layer, x in [("Conv2d(1, 8, 3)", conv, np.zeros((1, 1, 8, 8))),
                       ("Linear(64, 512)", dense, np.zeros((1, 64)))]:  # fmt: skip
    print(f"{name}: {layer.num_parameters():>6,} parameters -> output {layer(x).shape}")

# %% [markdown]
# ## The kernel sliding
#
# A kernel that answers to vertical edges (dark on the left, light on the right) slid over a
# digit: each frame moves the window one step and fills in one output cell, the sum of the
# window times the kernel (the first three rows of the output, to keep the page light).

# %%
X, y = nn.datasets.digits()
X = X.reshape(-1, 1, 8, 8).astype(np.float32)  # (N, channels, height, width)
edge = np.array([[-1.0, 0.0, 1.0]] * 3)
anim = nn.animate_convolution(X[0, 0], edge, padding=1, interval=250, max_frames=24)
HTML(nn.animation_html(anim))

# %% [markdown]
# ## The data, and a few shifted copies
#
# Training, validation and test sets (each class in its share); the test set is used once, at
# the very end. A CNN's weights are shared over positions, so showing it each training digit
# moved by one pixel up, down, left and right (five times the data) teaches it that a shifted
# digit is the same digit. The validation and test images are left as they are.


# %%
def shifted(images, dy, dx):
    """The images moved dy rows down and dx columns right (zeros coming in)."""
    out = np.zeros_like(images)
    h, w = images.shape[2:]
    out[:, :, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = images[
        :, :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


X_train, X_val, X_test, y_train, y_val, y_test = nn.train_val_test_split(
    X, y, val_size=0.15, test_size=0.2, seed=0, stratify=y
)
moves = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]
X_aug = np.concatenate([shifted(X_train, dy, dx) for dy, dx in moves])
y_aug = np.concatenate([y_train] * len(moves))
print("training:", X_aug.shape, " validation:", X_val.shape, " test:", X_test.shape)

fig, axes = plt.subplots(1, 5, figsize=(7, 1.6))
for ax, (dy, dx), k in zip(axes, moves, range(5)):
    ax.imshow(X_aug[k * len(X_train), 0], cmap="gray_r")
    ax.set_title(f"shift {dy, dx}", fontsize="small")
    ax.axis("off")
plt.show()

# %% [markdown]
# ## The CNN and the MLP of notebook 05
#
# Three 3 x 3 convolutions with ReLU (16, 32 and 64 channels), a 2 x 2 max pooling after the
# second and the third (8 x 8 -> 4 x 4 -> 2 x 2), then `Flatten` and one `Linear` to the 10
# logits. The MLP is notebook 05's: 64-64-64-10 with ReLU, trained as there on the digits as
# they are (for it each pixel is a separate input, so shifted copies mostly confuse it: it
# scores lower with them), for up to 40 short epochs; the CNN trains on the shifted images for
# 8. Both use Adam, and `EarlyStopping` keeps the weights of the best validation epoch.


# %%
def make_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 2 * 2, 10),
    )  # fmt: skip


def make_mlp():
    return nn.Sequential(
        nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )  # fmt: skip


def train(model, X, y, epochs, batch_size):
    stop = nn.EarlyStopping("val_accuracy", patience=6, restore_best_weights=True)
    return nn.fit(
        model, X, y, nn.cross_entropy, nn.Adam(model.parameters(), lr=3e-3),
        epochs=epochs, batch_size=batch_size, validation_data=(X_val, y_val), seed=0,
        progress=False, callbacks=[stop],
    )  # fmt: skip


nn.manual_seed(0)
cnn, mlp = make_cnn(), make_mlp()
print(f"CNN: {cnn.num_parameters():,} parameters, MLP: {mlp.num_parameters():,}")
histories = {
    "MLP (notebook 05)": train(mlp, X_train, y_train, epochs=40, batch_size=32),
    "CNN": train(cnn, X_aug, y_aug, epochs=8, batch_size=64),
}

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
for name, h in histories.items():
    left.plot(h.epoch, h.history["loss"], marker="o", markersize=3, label=f"{name} training")
    left.plot(h.epoch, h.history["val_loss"], ls="--", label=f"{name} validation")
    right.plot(h.epoch, h.history["val_accuracy"], marker="o", markersize=3, label=name)
    print(f"{name:18s} best validation accuracy {max(h.history['val_accuracy']):.4f}")
left.set_xlabel("epoch")
left.set_ylabel("cross-entropy")
left.legend(fontsize="small")
right.set_xlabel("epoch")
right.set_ylabel("validation accuracy")
right.legend()
plt.show()

# %% [markdown]
# The CNN is chosen on validation accuracy; now, once, the test set.

# %%
test_accuracy = nn.evaluate(cnn, X_test, y_test)["accuracy"]
print(f"CNN test accuracy: {test_accuracy:.4f} ({len(X_test)} images never used before)")
assert test_accuracy >= 0.985

# %% [markdown]
# ## What the CNN learned
#
# The first layer's 16 filters (red positive, blue negative): small edge and stroke detectors.
# Then one test digit through every convolution: each small image is one channel's map after
# its ReLU, bright where its filter fires. The maps get smaller (pooling) and more abstract.

# %%
nn.plot_filters(cnn[0])

# %%
nn.plot_feature_maps(cnn, X_test[0])

# %% [markdown]
# ## What to remember
#
# * A convolution is a matrix product with a sparse, banded matrix whose bands repeat the
#   kernel; engines compute it as one dense product of the input's windows (im2col).
# * Its backward pass is made of convolutions too, so first and higher derivatives work.
# * Sharing the kernel over positions cuts the parameters (80 against 33,280 above) and builds
#   in that a pattern means the same wherever it is; a few shifted copies of the data teach
#   the rest.
# * Choose on validation data; look at the test set once.
