"""Speed of one training step of two small CNNs: chainrule vs PyTorch CPU at one thread.

A step is: forward pass, mean softmax cross-entropy, backward pass, plain SGD update (lr 0.05),
float32, batch 64, single-threaded BLAS (and ``torch.set_num_threads(1)``). The networks
(issue 27):

- ``digits``: 8x8 inputs, conv 1->8 3x3 pad 1, relu, maxpool 2, conv 8->16 3x3 pad 1, relu,
  maxpool 2, linear 64->10;
- ``mnist``: 28x28 inputs, conv 1->32 3x3, relu, maxpool 2, conv 32->64 3x3, relu, maxpool 2,
  linear 1600->10.

Engines, all from the same weights (the first step's losses must agree): ``nn.Sequential``
(what users write: ``nn.Conv2d``, ``nn.cross_entropy``, ``nn.SGD``), the same model through
``nn.compile_step``, and PyTorch (``torch.nn`` layers, the same SGD). Rounds are interleaved, so
a burst of load on the machine hits every engine alike; the best round counts. Prints ms per
step and the ratio to PyTorch.

``fit``: the digits CNN of notebook 12 (conv 1->16, conv 16->32, maxpool, conv 32->64,
maxpool, linear 256->10, all 3x3 pad 1 with ReLU) trained with ``nn.fit`` (Adam, batch 64,
10 epochs, training images shifted by one pixel in four directions, validation data choosing the
epoch by ``EarlyStopping(restore_best_weights=True)``), then the test set once: seconds and test
accuracy (the issue's bar: >= 98.5% in under 60 s).

Usage: ``python benchmarks/bench_conv.py [--quick] [--nets digits,mnist,fit]``
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy (and its BLAS) is imported

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

import nn  # noqa: E402
from autograd import Tensor  # noqa: E402

LR, BATCH = 0.05, 64
NETS = {  # input size, (channels of each conv), padding, linear inputs
    "digits": (8, (1, 8, 16), 1, 64),
    "mnist": (28, (1, 32, 64), 0, 1600),
}


def chainrule_model(net: str) -> nn.Sequential:
    """The network as ``nn.Sequential`` (seeded: every engine copies these weights)."""
    size, (c0, c1, c2), pad, flat = NETS[net]
    nn.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(c0, c1, 3, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(flat, 10),
    )  # fmt: skip


def batches(net: str, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fixed batches: digits images for ``digits``, random MNIST-shaped ones for ``mnist``."""
    size = NETS[net][0]
    rng = np.random.default_rng(0)
    if net == "digits":
        X, y = nn.datasets.digits()
        X = X.reshape(-1, 1, 8, 8).astype(np.float32)
    else:
        X = rng.random((BATCH * count, 1, size, size), dtype=np.float32)
        y = rng.integers(0, 10, BATCH * count)
    out = []
    for _ in range(count):
        idx = rng.choice(len(X), BATCH, replace=False)
        out.append((np.ascontiguousarray(X[idx]), y[idx].astype(np.int64)))
    return out


def sequential_step(net: str) -> Callable:
    """What users write: the model, ``nn.cross_entropy`` and ``nn.SGD``."""
    model = chainrule_model(net)
    optimizer = nn.SGD(model.parameters(), lr=LR)

    def step(x: np.ndarray, y: np.ndarray) -> float:
        optimizer.zero_grad()
        loss = nn.cross_entropy(model(Tensor(x)), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def compiled_step(net: str) -> Callable:
    """The same model through ``nn.compile_step`` (traced on the first call)."""
    model = chainrule_model(net)
    return nn.compile_step(model, nn.cross_entropy, nn.SGD(model.parameters(), lr=LR))


def torch_step(net: str) -> Callable | None:
    """PyTorch at one thread, from the chainrule model's weights."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    model = nn.to_torch(chainrule_model(net))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.functional.cross_entropy

    def step(x: np.ndarray, y: np.ndarray) -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def ms_per_step(step: Callable, data: list, steps: int) -> float:
    """Milliseconds per step over ``steps`` steps, cycling through the batches."""
    start = time.perf_counter()
    for i in range(steps):
        step(*data[i % len(data)])
    return (time.perf_counter() - start) / steps * 1e3


def run(net: str, quick: bool) -> None:
    data = batches(net, 10)
    engines = {
        "nn.Sequential": sequential_step(net),
        "nn.compile_step": compiled_step(net),
        "pytorch": torch_step(net),
    }
    live = {name: step for name, step in engines.items() if step is not None}
    first = {name: step(*data[0]) for name, step in live.items()}
    spread = max(first.values()) - min(first.values())
    assert spread < 1e-4, f"{net}: first-step losses disagree: {first}"
    steps = (10 if net == "mnist" else 40) if quick else (30 if net == "mnist" else 200)
    rounds = 3 if quick else 7
    best = {name: float("inf") for name in live}
    for step in live.values():  # warm up
        ms_per_step(step, data, max(2, steps // 10))
    for _ in range(rounds):
        for name, step in live.items():
            best[name] = min(best[name], ms_per_step(step, data, steps))
    size, channels, pad, _ = NETS[net]
    print(f"\n{net}: {size}x{size} inputs, convs {'->'.join(map(str, channels))} 3x3 pad {pad}, "
          f"batch {BATCH}, float32, 1 thread")  # fmt: skip
    ref = best.get("pytorch")
    for name in engines:
        if name not in best:
            print(f"  {name:<18} not installed")
            continue
        ratio = f"   {best[name] / ref:5.2f}x pytorch" if ref else ""
        print(f"  {name:<18} {best[name]:8.3f} ms/step{ratio}")


def shifted(X: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Images ``X`` (N, C, H, W) moved ``dy`` rows down and ``dx`` columns right, zeros in."""
    out = np.zeros_like(X)
    h, w = X.shape[2:]
    rows, cols = slice(max(dy, 0), h + min(dy, 0)), slice(max(dx, 0), w + min(dx, 0))
    out[:, :, rows, cols] = X[:, :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)]
    return out


def digits_cnn(width: int = 16) -> nn.Sequential:
    """The digits CNN of notebook 12."""
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1), nn.ReLU(),
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(2 * width, 4 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * width * 4, 10),
    )  # fmt: skip


def fit_digits(quick: bool) -> None:
    """Train the digits CNN to its test accuracy, timed (see the module)."""
    X, y = nn.datasets.digits()
    X = X.reshape(-1, 1, 8, 8).astype(np.float32)
    Xtr, Xva, Xte, ytr, yva, yte = nn.train_val_test_split(
        X, y, val_size=0.15, test_size=0.2, seed=0, stratify=y
    )
    moves = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]
    Xa = np.concatenate([shifted(Xtr, dy, dx) for dy, dx in moves])
    ya = np.concatenate([ytr] * len(moves))
    nn.manual_seed(0)
    model = digits_cnn()
    start = time.perf_counter()
    stop = nn.EarlyStopping("val_accuracy", patience=4, restore_best_weights=True)
    history = nn.fit(model, Xa, ya, nn.cross_entropy, nn.Adam(model.parameters(), lr=3e-3),
                     epochs=3 if quick else 10, batch_size=64, validation_data=(Xva, yva),
                     seed=0, progress=False, callbacks=[stop])  # fmt: skip
    took = time.perf_counter() - start
    test = nn.evaluate(model, Xte, yte)["accuracy"]
    best = max(history.history["val_accuracy"])
    print(f"\nfit: digits CNN, {len(Xa)} shifted training images, {len(history.epoch)} epochs")
    print(f"  {took:6.1f} s to train, best validation accuracy {best:.4f}, "
          f"test accuracy {test:.4f} ({len(Xte)} images, used once)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (a few seconds)")
    parser.add_argument("--nets", default="digits,mnist,fit", help="comma-separated")
    args = parser.parse_args()
    print(f"one CNN training step (forward, loss, backward, SGD); numpy {np.__version__}")
    for net in args.nets.split(","):
        net = net.strip().lower()
        fit_digits(args.quick) if net == "fit" else run(net, args.quick)


if __name__ == "__main__":
    main()
