"""The tensor engine on handwritten digits: a 64-256-10 MLP trained with Adam.

scikit-learn's 8x8 digits (1,797 images, pixels scaled to [0, 1]), a quarter held out for
testing (``random_state=0``), mini-batches of 32, softmax cross-entropy, Adam with lr 0.01,
20 epochs. The validation curves come from the last 10% of the training part
(``validation_split``), so the test set is used once, at the end. Reaches about 98% test
accuracy in well under a second of training on 2 cores.

Run: ``python examples/digits.py``
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import nn

OPTIMIZERS = {
    "sgd": lambda params: nn.SGD(params, lr=0.1),
    "momentum": lambda params: nn.SGD(params, lr=0.05, momentum=0.9),
    "rmsprop": lambda params: nn.RMSprop(params, lr=1e-3),
    "adam": lambda params: nn.Adam(params, lr=1e-2),
}


def blas_threads(n: int | None) -> Any:
    """Limit NumPy's BLAS to ``n`` threads while training (threadpoolctl, which comes with
    scikit-learn). These matrices are small: one thread is as fast as two, and a multithreaded
    BLAS that shares the cores with other programs can be ten times slower."""
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(n, user_api="blas")


def digits_model(hidden: int = 256, dropout: float = 0.0, seed: int = 0) -> nn.Sequential:
    """``Linear(64, hidden) -> ReLU (-> Dropout) -> Linear(hidden, 10)``, seeded."""
    layers: list[nn.Module] = [nn.Linear(64, hidden, seed=seed), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout, seed=seed + 1))
    layers.append(nn.Linear(hidden, 10, seed=seed + 2))
    return nn.Sequential(*layers)


def train_digits(
    epochs: int = 20,
    batch_size: int = 32,
    optimizer: str = "adam",
    hidden: int = 256,
    dropout: float = 0.0,
    seed: int = 0,
    progress: bool = False,
    threads: int | None = 1,
) -> dict[str, Any]:
    """Train the digits MLP; returns the model, its History (validation curves from 10% of the
    training part), the test accuracy and the training time in seconds. ``threads``: BLAS
    threads during training (None: NumPy's default)."""
    X, y = nn.datasets.digits()
    X_train, X_test, y_train, y_test = nn.train_test_split(X, y, test_size=0.25, seed=0)
    model = digits_model(hidden, dropout, seed)
    opt = OPTIMIZERS[optimizer](model.parameters())
    with blas_threads(threads):
        start = time.perf_counter()
        history = nn.fit(
            model,
            X_train,
            y_train,
            nn.cross_entropy,
            opt,
            epochs=epochs,
            batch_size=batch_size,
            validation_split=0.1,
            progress=progress,
            seed=seed,
        )
        seconds = time.perf_counter() - start
    test = nn.evaluate(model, X_test, y_test, nn.cross_entropy)
    return {
        "model": model,
        "history": history,
        "accuracy": test["accuracy"],
        "loss": test["loss"],
        "seconds": seconds,
    }


def main() -> None:
    """Train and print the figures."""
    result = train_digits(progress=True)
    history = result["history"]
    print(history.table(max_rows=10))
    print(result["model"])
    print(
        f"digits (tensor engine): test accuracy {result['accuracy']:.2%}, "
        f"{len(history.epoch)} epochs in {result['seconds']:.2f} s "
        f"(including the per-epoch validation)"
    )


if __name__ == "__main__":
    main()
