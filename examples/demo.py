"""What `make demo` runs: both engines train a small MLP, and the results are drawn.

1. The scalar engine trains micrograd's moons MLP (examples/moons.py).
2. The tensor engine trains an MLP on the 8x8 digits (examples/digits.py).
3. Files in demo/: graph.svg (a small expression's graph, after backward), moons_boundary.png
   (the learned decision boundary), digits_history.png (loss and accuracy curves).

Run: ``python examples/demo.py [--out DIR]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no window

sys.path.insert(0, str(Path(__file__).resolve().parent))

from digits import train_digits  # noqa: E402
from moons import train_moons  # noqa: E402

import nn  # noqa: E402
from autograd import Value, draw_dot  # noqa: E402


def draw_expression(out_dir: Path) -> Path:
    """A neuron by hand, ``tanh(x1*w1 + x2*w2 + b)``, backpropagated and drawn."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    path = draw_dot(o).render(str(out_dir / "graph"), format="svg", cleanup=True)
    return Path(path)


def main() -> None:
    """Train both models, write the pictures, print where they are."""
    parser = argparse.ArgumentParser(description="chainrule demo")
    parser.add_argument("--out", default="demo", help="folder for the pictures (default: demo)")
    args = parser.parse_args()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    moons = train_moons()
    fig = nn.plot_decision_boundary(moons["model"], moons["X"], moons["y"], resolution=60)
    fig.savefig(out_dir / "moons_boundary.png", dpi=100)
    print(
        f"moons, scalar engine: MLP(2, [16, 16, 1]), {len(moons['history'].epoch)} steps in "
        f"{moons['seconds']:.1f} s, training accuracy {moons['accuracy']:.0%}"
    )

    digits = train_digits()
    fig = digits["history"].plot()
    fig.savefig(out_dir / "digits_history.png", dpi=100)
    print(
        f"digits, tensor engine: 64-256-10 MLP, {len(digits['history'].epoch)} epochs in "
        f"{digits['seconds']:.1f} s, test accuracy {digits['accuracy']:.1%}"
    )

    graph = draw_expression(out_dir)
    print("\nfiles:")
    for path in (graph, out_dir / "moons_boundary.png", out_dir / "digits_history.png"):
        print(f"  {os.path.abspath(path)}")
    print(f"\ndone in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
