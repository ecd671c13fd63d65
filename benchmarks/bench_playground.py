"""Time of one playground update against its 100 ms budget, and against drawing it with
matplotlib instead.

One update of the default network (2 inputs, 2 hidden layers of 4 tanh neurons, 200 points of
moons, half for training, batches of 10) is ``app.step(1)``: one epoch of 10 iterations on
chainrule's tensor engine, the losses of both sets, then the redraw of the decision boundary
(a 100 x 100 grid) with its 200 points, the loss curves, every neuron's map (11 heatmaps of
40 x 40) and the 24 weighted edges, as the SVG the widgets carry. Printed: the median and 90th
percentile of the update and of its two halves, the bytes the widgets send per update, the
same for the largest network the controls allow (6 x 8), and the peer: the same pictures drawn
by matplotlib into one PNG (the other way the issue names). Target: update <= 100 ms.

Usage: ``python benchmarks/bench_playground.py``
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import io  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import nn  # noqa: E402

BUDGET_MS = 100.0
REPEATS = 40


def timed(fn: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float]:
    """Median and 90th percentile of ``fn()`` in ms (after two warm-up calls)."""
    fn()
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def matplotlib_update(app, figure, axes) -> int:
    """The same pictures with matplotlib: boundary and points, curves, each neuron's map; the
    figure rendered to a PNG (what an Image widget would carry). Returns its size in bytes."""
    t = app.trainer
    maps = t.maps()
    for ax in axes.ravel():
        ax.clear()
        ax.set_axis_off()
    x0, x1, y0, y1 = t.extent
    board, curves = axes[0, 0], axes[0, 1]
    board.imshow(2 * maps[-1][0] - 1, extent=(x0, x1, y0, y1), cmap="PuOr", vmin=-1, vmax=1)
    for X, y, edge in ((t.X_train, t.y_train, "white"), (t.X_val, t.y_val, "black")):
        board.scatter(X[:, 0], X[:, 1], c=y, cmap="PuOr", s=12, edgecolors=edge, linewidths=0.5)
    curves.plot(t.history.history["loss"])
    curves.plot(t.history.history["val_loss"])
    cells = [(layer, i) for layer in maps for i in range(layer.shape[0])]
    for ax, (layer, i) in zip(axes.ravel()[2:], cells):
        ax.imshow(layer[i], cmap="PuOr", vmin=-1, vmax=1)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=60)
    return len(buffer.getvalue())


def payload(app) -> int:
    """The characters of the HTML values one update sends to the page."""
    return sum(len(w.value) for w in (app._boundary, app._network, app._curves, app._status))


def main() -> None:
    app = nn.playground()
    update, update90 = timed(lambda: app.step(1))
    train, train90 = timed(lambda: app.trainer.step(1))
    draw, draw90 = timed(app.redraw)
    print("default network (2-4-4-1, 200 points, batch 10: 10 iterations per update)")
    print(f"  update (train one epoch + redraw): median {update:6.2f} ms, p90 {update90:6.2f} ms")
    print(f"    train one epoch + both losses:   median {train:6.2f} ms, p90 {train90:6.2f} ms")
    print(f"    redraw (boundary, curves, maps): median {draw:6.2f} ms, p90 {draw90:6.2f} ms")
    print(f"  sent per update: {payload(app) / 1024:.0f} KiB of SVG")
    print(f"  ratio update / {BUDGET_MS:.0f} ms budget: {update / BUDGET_MS:.3f}"
          f" ({'within' if update90 <= BUDGET_MS else 'OVER'} the budget at p90)")

    big = nn.playground(setup="layers=8,8,8,8,8,8&features=x1,x2,x1^2,x2^2,x1*x2,sin(x1),"
                              "sin(x2)")
    big_update, big90 = timed(lambda: big.step(1), repeats=15)
    print("largest network (7 features, 6 hidden layers of 8)")
    print(f"  update: median {big_update:6.2f} ms, p90 {big90:6.2f} ms;"
          f" sent {payload(big) / 1024:.0f} KiB")

    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(4, 4, figsize=(8, 8))
    size = matplotlib_update(app, figure, axes)
    peer, peer90 = timed(lambda: (app.trainer.step(1), matplotlib_update(app, figure, axes)),
                         repeats=10)
    plt.close(figure)
    print("peer: the default update drawn by matplotlib into one PNG")
    print(f"  update: median {peer:6.2f} ms, p90 {peer90:6.2f} ms; PNG {size / 1024:.0f} KiB")
    print(f"ratio matplotlib / SVG update: {peer / update:.1f}")


if __name__ == "__main__":
    main()
