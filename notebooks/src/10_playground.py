# %% [markdown]
# # 10. The playground: train a network live and feel what the knobs do
#
# Everything in the earlier notebooks, in one live picture, in the spirit of TensorFlow
# Playground: pick a dataset, the input features, the layers and neurons, the activation, the
# learning rate, the batch size, regularization, press **Play**, and watch the network learn.
# What you watch is chainrule's own backprop: every iteration is a forward pass of
# `nn.Sequential` on the `Tensor` engine, `backward()`, and an `nn.SGD` or `nn.Adam` step.
#
# - **Left**: the controls. A change of learning rate, batch size or regularization goes to the
#   running network; any other change starts a fresh one.
# - **Middle**: the network. Each neuron is drawn as a small map: its output at every point of
#   the plane (blue positive, orange negative). Each weight is an edge, blue when positive,
#   orange when negative, thicker when larger.
# - **Right**: the output neuron's map, which is the decision boundary, with the training
#   points (white rings) and the validation points (black rings); under it the training (grey)
#   and validation (blue) loss per epoch, and the epoch and iteration counters.
# - **Bottom**: the whole setup as a short string. Copy it, and `nn.playground(setup="...")`
#   (or pasting it into the box and pressing **Load**) brings the same run back.
#
# The same app runs as a local web page, without Jupyter:
#
# ```sh
# python -m nn.playground --port 8866     # or: make playground
# ```
#
# and open http://127.0.0.1:8866/. It needs the `playground` extra
# (`pip install -e '.[playground]'`: ipywidgets and Voila, the server); the page loads nothing
# from outside your machine.

# %%
import time

from IPython.display import HTML

import nn

# %% [markdown]
# ## Open it
#
# Run the next cell, press **Play**, and try the controls. (It needs a running notebook: on a
# static page, such as the documentation site, the pictures further down stand in for it.)

# %% tags=["widget"]
app = nn.playground()
app

# %% [markdown]
# ## The same app, from code
#
# The app is also a handle: `app.model` is the network, `app.history` the `nn.History` of its
# losses and accuracies per epoch (epoch 0 is the untrained network), and `app.step(n)` trains
# `n` epochs and redraws, exactly what **Play** does once per frame. `app.snapshot()` is the
# picture as HTML, for pages without a kernel.

# %%
app = nn.playground()
print(app.model)
start = time.perf_counter()
app.step(100)
print(f"100 epochs ({app.trainer.iteration} iterations) in {time.perf_counter() - start:.2f} s")
h = app.history.history
print(f"validation loss {h['val_loss'][0]:.3f} -> {h['val_loss'][-1]:.3f}, "
      f"accuracy {h['val_accuracy'][-1]:.0%}")
HTML(app.snapshot())

# %% [markdown]
# ## Try 1: too high a learning rate
#
# Circles, the default network, and four learning rates. In the app: pick *circles*, type a
# learning rate, press Play, and watch the validation curve. Too small, and nothing seems to
# happen for a long time; well chosen, and the loss falls smoothly; too large, and it falls,
# then jumps back up as each step overshoots the valley (the *lowest* loss seen is good, the
# loss where it ends is not); far too large, and the loss ends above where it started (0.69,
# a coin toss): the tanh neurons saturate and the network is stuck.


# %%
def run(setup, epochs):
    """A fresh app for `setup`, trained `epochs` epochs."""
    played = nn.playground(setup=setup)
    played.step(epochs)
    return played


print(f"{'lr':>5s} {'lowest val loss':>16s} {'final val loss':>15s} {'final accuracy':>15s}")
curves = {}
for lr in [0.03, 0.3, 3, 10]:
    h = curves[lr] = run(f"data=circles&lr={lr}", 100).history.history
    print(f"{lr:5g} {min(h['val_loss']):16.3f} {h['val_loss'][-1]:15.3f} "
          f"{h['val_accuracy'][-1]:15.0%}")
# what the text says, checked: too small barely moves, too large ends far above its best,
# far too large ends above the untrained network
assert curves[0.03]["val_loss"][-1] > 0.9 * curves[0.03]["val_loss"][0]
assert curves[3]["val_loss"][-1] > 2 * min(curves[3]["val_loss"])
assert curves[10]["val_loss"][-1] > curves[10]["val_loss"][0]

# %%
HTML(run("data=circles&lr=3", 100).snapshot())

# %% [markdown]
# ## Try 2: too few neurons for spirals
#
# Two interleaved spiral arms. One hidden neuron can only cut the plane along one smooth
# line; two can bend it a little; two layers of eight can follow the arms. In the app: pick
# *spirals*, remove neurons with **-** until one is left, Play; then add them back.

# %%
accuracy = {}
for layers in ["1", "2", "8,8"]:
    h = run(f"data=spirals&layers={layers}&opt=adam&lr=0.03", 300).history.history
    accuracy[layers] = h["val_accuracy"][-1]
    print(f"hidden layers {layers:5s}: validation accuracy {h['val_accuracy'][-1]:.0%}, "
          f"loss {h['val_loss'][-1]:.3f}")
assert accuracy["1"] < 0.85 and accuracy["2"] < 0.85 and accuracy["8,8"] > 0.95

# %%
HTML(run("data=spirals&layers=2&opt=adam&lr=0.03", 300).snapshot())

# %% [markdown]
# ## Try 3: regularization against noise
#
# Few noisy points (100 moons with noise 0.5, half of them for training) and a big network
# (three layers of eight). Without regularization it bends its boundary around every training
# point: the training loss goes to almost nothing while the validation loss climbs, the two
# curves part. L2 regularization adds `reg_rate * sum(w**2)` over the weights to the loss, so
# large weights (sharp bends) cost something; the boundary stays smooth and the validation loss
# stays low. L1 (`reg_rate * sum(|w|)`) pushes small weights to zero instead: watch edges thin
# out in the network. In the app: set noise to 0.5, Play, then choose L2 with a rate of 0.01
# and press Reset.

# %%
noisy = "data=moons&noise=0.5&points=100&layers=8,8,8&opt=adam&lr=0.03"
final = {}
for reg in ["reg=none", "reg=l2&reg_rate=0.01", "reg=l1&reg_rate=0.003"]:
    h = run(f"{noisy}&{reg}", 300).history.history
    final[reg] = (h["loss"][-1], h["val_loss"][-1])
    print(f"{reg:22s} training loss {h['loss'][-1]:.3f}, validation loss "
          f"{h['val_loss'][-1]:.3f}")
# without regularization: the lowest training loss and the highest validation loss
assert min(final, key=lambda r: final[r][0]) == "reg=none"
assert max(final, key=lambda r: final[r][1]) == "reg=none"

# %%
HTML(run(f"{noisy}&reg=none", 300).snapshot())

# %% [markdown]
# ## The setup string, and what happens to bad input
#
# The string lists every choice; a string may give only the fields it changes. A bad one is
# refused with a message naming the field, shown in the app above the pictures, and the
# running network is left as it was.

# %%
print(app.setup.to_string())
for bad in ["garbage", "layers=4,0", "lr=-0.1"]:
    app.load(bad)
    print(f"{bad:12s} -> {app.message}")
print("still at epoch", app.trainer.epoch)

# %% [markdown]
# ## More to try
#
# - *xor* with only `x1` and `x2`, then add the feature `x1*x2`: with the right feature, no
#   hidden layer is needed at all (remove them all with the layer **-**).
# - *circles* with `x1^2` and `x2^2`: the same, a circle is a line in those features.
# - *relu* against *tanh* on spirals: piecewise-straight boundaries against smooth ones.
# - batch size 1 against 30: noisy steps and many of them, against few smooth ones.
# - dropout 0.3 on the noisy moons of Try 3: another cure for the same disease.
