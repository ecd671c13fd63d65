"""nn.plots.animate: the animations are Animation objects with one frame per step."""

import re

import matplotlib
import numpy as np

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.animation import Animation  # noqa: E402

from nn.plots.animate import animate_descent, animation_html  # noqa: E402


def _loss(w1, w2):
    return w1**2 + 3 * w2**2


def _path(n):
    return [(2.0 * 0.8**k, 1.0 * 0.5**k) for k in range(n)]


def test_descent_frames_and_growing_line():
    anim = animate_descent(_loss, {"a": _path(7), "b": _path(4)}, resolution=20)
    assert isinstance(anim, Animation)
    assert len(list(anim.new_frame_seq())) == 7
    line = anim._fig.axes[0].lines[0]
    anim._func(2)
    assert len(line.get_xdata()) == 3
    anim._func(6)
    assert len(line.get_xdata()) == 7


def test_descent_jshtml_and_one_parameter():
    anim = animate_descent(lambda w: w**2, [1.0, 0.5, 0.25], resolution=20)
    assert len(list(anim.new_frame_seq())) == 3
    assert "<script" in anim.to_jshtml()


def test_animation_html_is_offline():
    """matplotlib's player links a CDN stylesheet; animation_html() drops it, icons as inline
    SVG (no font needed for the media symbols)."""
    anim = animate_descent(lambda w: w**2, [1.0, 0.5, 0.25], resolution=20)
    assert "https://" in anim.to_jshtml()
    html = animation_html(anim)
    assert "<script" in html and "anim" in html
    assert "https://" not in html and "http://" not in html
    assert 'class="fa' not in html and "\u25b6" not in html and "\u23f8" not in html
    buttons = re.findall(r"<button[^>]*>(.*?)</button>", html, flags=re.S)
    assert buttons and all('<svg width="14"' in b for b in buttons), buttons
    with pytest.raises(TypeError, match="Animation"):
        animation_html("not an animation")


def test_descent_axis_labels_name_the_parameters():
    anim = animate_descent(_loss, {"a": _path(3)}, resolution=10,
                           axis_labels=("w (slope)", "b (intercept)"))  # fmt: skip
    ax = anim._fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("w (slope)", "b (intercept)")
    default = animate_descent(_loss, {"a": _path(3)}, resolution=10)._fig.axes[0]
    assert (default.get_xlabel(), default.get_ylabel()) == ("w1", "w2")
    with pytest.raises(ValueError, match="axis_labels must be 2 string"):
        animate_descent(_loss, {"a": _path(3)}, axis_labels=("w",))


def test_descent_bad_input():
    with pytest.raises(ValueError, match=r"animate_descent\(\): the path .* has no points"):
        animate_descent(_loss, [])
    with pytest.raises(ValueError, match="dimension"):
        animate_descent(_loss, [(1.0, 2.0), (1.0, 2.0, 3.0)])


def test_decision_boundary_frames_and_change():
    import numpy as np

    from nn.plots.animate import BoundaryRecorder, animate_decision_boundary

    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    rec = BoundaryRecorder(X, resolution=20)
    for epoch, w in enumerate([0.0, 1.0, -1.0], start=1):
        rec.record(lambda P, w=w: P[:, 0] * w + P[:, 1] - 0.5, epoch)
    assert not np.array_equal(rec.regions[0], rec.regions[-1])
    anim = animate_decision_boundary(rec, X, y)
    assert isinstance(anim, Animation)
    assert len(list(anim.new_frame_seq())) == 3
    anim._func(2)
    assert "epoch 3" in anim._fig.axes[0].get_title()
    with pytest.raises(ValueError, match="labels"):
        animate_decision_boundary(rec, X, y[:3])
    with pytest.raises(ValueError, match="no snapshots"):
        animate_decision_boundary(BoundaryRecorder(X), X, y)


def test_decision_boundary_recorded_during_fit():
    import numpy as np

    import nn

    X, y = nn.datasets.moons(60, noise=0.1, seed=0)
    model = nn.Sequential(nn.Linear(2, 2, seed=0, dtype=np.float64))
    rec = nn.BoundaryRecorder(X, resolution=15)
    nn.fit(
        model,
        X,
        y,
        nn.cross_entropy,
        nn.SGD(model.parameters(), lr=0.5),
        epochs=4,
        callbacks=[rec],
        progress=False,
    )
    anim = nn.animate_decision_boundary(rec, X, y)
    assert len(list(anim.new_frame_seq())) == 4 == len(rec.regions)


def test_the_animations_are_in_nn_plots_too():
    import nn
    import nn.plots

    for name in ("animate_descent", "animate_decision_boundary", "BoundaryRecorder"):
        assert getattr(nn.plots, name) is getattr(nn, name)
        assert name in nn.plots.__all__


def test_boundary_recorder_every_kth_epoch():
    import nn

    X, y = nn.datasets.moons(40, noise=0.1, seed=0)
    model = nn.Sequential(nn.Linear(2, 2, seed=0, dtype=np.float64))
    rec = nn.BoundaryRecorder(X, resolution=12, every=2)
    nn.fit(model, X, y, nn.cross_entropy, nn.SGD(model.parameters(), lr=0.5), epochs=5,
           callbacks=[rec], progress=False)  # fmt: skip
    assert rec.epochs == [2, 4] and rec.regions[0].shape == (12, 12)
    with pytest.raises(ValueError, match="every must be a positive int"):
        nn.BoundaryRecorder(X, every=0)
