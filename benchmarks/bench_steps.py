"""Size and write time of the step page (``save_steps_html``) for the lecture neuron and the
2-4-4-1 MLP over 4 samples (a squared-error loss: 80 backward steps).

The page is one drawing of the graph and a state per step (forward, seed, backward). Its floor
is one Graphviz layout of the same drawing (``draw_dot(...).pipe('svg')``), timed in the same
run: the ratio page / layout is what the walk, the states and the writing add. Targets for the
MLP: a page of at most 1 MB written in under 1 s (issue 23); the best of 5 runs is printed.

Usage: ``python benchmarks/bench_steps.py``
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import nn  # noqa: E402
from autograd import Value, draw_dot, save_steps_html  # noqa: E402

RUNS = 5


def neuron() -> Value:
    """micrograd's lecture neuron, every node labelled (5 backward steps)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1w1", "x2w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def mlp_loss() -> Value:
    """nn.MLP(2, [4, 4, 1]) with a squared-error loss over 4 samples."""
    model = nn.MLP(2, [4, 4, 1], seed=0)
    xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
    loss.label = "loss"
    return loss


def best(fn) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    print(f"{'graph':<28}{'page kB':>9}{'write s':>9}{'layout s':>10}{'page/layout':>13}")
    for name, build, options in [
        ("lecture neuron", neuron, {}),
        ("MLP 2-4-4-1 x 4 samples", mlp_loss, {}),
        ("  collapse='neuron'", mlp_loss, {"collapse": "neuron"}),
    ]:
        root = build()
        path = folder / "page.html"  # the same file each time
        write = best(lambda r=root, o=options, p=path: save_steps_html(r, p, **o))
        layout = best(lambda r=root, o=options: draw_dot(r, edge_labels=True, **o).pipe("svg"))
        size = path.stat().st_size
        print(f"{name:<28}{size / 1000:>9.1f}{write:>9.3f}{layout:>10.3f}{write / layout:>13.2f}")
    print("targets (MLP): page <= 1000 kB, write < 1 s")


if __name__ == "__main__":
    main()
