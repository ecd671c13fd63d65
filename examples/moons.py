"""micrograd's demo on the scalar engine: a 2-16-16-1 MLP learns the two moons.

The same recipe as micrograd's demo.ipynb: 100 points of ``make_moons(noise=0.1,
random_state=1)`` with labels -1/+1, ``MLP(2, [16, 16, 1])``, the max-margin (hinge) loss plus
``1e-4 * sum(p * p)``, plain SGD whose learning rate decays as ``1.0 - 0.9 * k / 100``, and 100
full-batch steps. Written with ``nn.fit``, so every piece has its name.

Run: ``python examples/moons.py``
"""

from __future__ import annotations

import time
from typing import Any

import nn

ALPHA = 1e-4  # strength of the L2 regularisation


def train_moons(steps: int = 100, seed: int = 1337, progress: bool = False) -> dict[str, Any]:
    """Train micrograd's moons MLP; returns the model, its History, the final training
    accuracy (of the trained model on all 100 points) and the training time in seconds."""
    X, y = nn.datasets.moons(n_samples=100, noise=0.1, seed=1)
    y = 2 * y - 1  # labels -1 and +1, as the hinge loss wants
    model = nn.MLP(2, [16, 16, 1], seed=seed)

    def loss(scores: Any, labels: Any) -> Any:
        data_loss = nn.hinge_loss(scores, labels)
        return data_loss + ALPHA * nn.l2_penalty(model.parameters())

    optimizer = nn.SGD(model.parameters(), lr=1.0)
    schedule = nn.LambdaLR(optimizer, lambda k: 1.0 - 0.9 * k / 100)
    start = time.perf_counter()
    history = nn.fit(
        model,
        X,
        y,
        loss,
        optimizer,
        epochs=steps,
        batch_size=None,  # full batch: one step per epoch, as in micrograd
        schedule=schedule,
        progress=progress,
    )
    seconds = time.perf_counter() - start
    final = nn.evaluate(model, X, y, loss, metrics=["accuracy"])
    return {
        "model": model,
        "history": history,
        "X": X,
        "y": y,
        "loss": final["loss"],
        "accuracy": final["accuracy"],
        "seconds": seconds,
    }


def main() -> None:
    """Train and print the figures."""
    result = train_moons(progress=True)
    history = result["history"]
    print(history.table(max_rows=10))
    print(result["model"])
    print(
        f"moons (scalar engine): training accuracy {result['accuracy']:.0%}, "
        f"loss {result['loss']:.4f}, {len(history.epoch)} steps in {result['seconds']:.2f} s "
        f"({1000 * result['seconds'] / len(history.epoch):.0f} ms per step)"
    )


if __name__ == "__main__":
    main()
