"""Speed of one training step of an MLP, tensor engine vs. the NumPy floor, PyTorch, JAX, HIPS.

A step is: forward pass, mean softmax cross-entropy, backward pass, plain SGD update (lr 0.1),
in float32 with single-threaded BLAS. The same network runs on every engine in the same run:

- ``numpy floor``: forward and backward written by hand with NumPy (what a NumPy-based engine
  cannot beat: the same array operations with no graph at all);
- ``chainrule``: ``autograd.Tensor`` through its public API (fused ``linear`` (with
  ``activation='relu'`` on hidden layers) and ``cross_entropy_logits``, ``backward()``,
  ``p.data -= lr * p.grad``);
- ``chainrule (unfused)``: the same with ``x @ W.T + b``, ``relu()``, ``log_softmax``, indexing
  and ``mean``;
- ``nn.Sequential``: what users write: ``nn.Sequential(nn.Linear, nn.ReLU, ...)`` (Linear+ReLU
  run fused), ``nn.cross_entropy``, ``nn.SGD``;
- ``nn.compile_step``: the same model, loss and optimizer through ``nn.compile_step`` (traced
  on the first step, replayed on raw arrays without a graph afterwards);
- ``pytorch``: CPU, one thread; ``jax`` (jit) and ``hips autograd``: only if installed.

Tasks: T1 64-32-10, batch 32 and T2 64-256-256-10, batch 128 on sklearn's digits (scaled to
[0, 1]); T3 784-1024-1024-10, batch 256 on random data. Prints milliseconds per step (the best
of several rounds, so other load on the machine inflates it least), the ratio to the floor and
the Python function calls per step (``sys.setprofile`` events ``call`` and ``c_call`` over one
step, counted outside the timed runs: what the interpreter does besides the array work).

MNIST: one epoch of MNIST-shaped random data (60,000 x 784 float32, labels 0..9), MLP
784-256-128-10 (ReLU), batch 128 (469 steps, the last one of 96 rows), SGD and cross-entropy:
the plain loop a user writes (``nn.Sequential``, ``nn.cross_entropy``, ``nn.SGD``), the same
through ``nn.compile_step``, and PyTorch CPU with one thread; seconds per epoch (the best of
two epochs, one with ``--quick``, which also cuts the data to 10,000 rows) and the ratio to
PyTorch.

Usage: ``python benchmarks/bench_tensor.py [--quick] [--tasks T1,T2,T3,MNIST]``
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):  # fmt: skip
    os.environ[_var] = "1"  # before NumPy (and its BLAS) is imported

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import nn  # noqa: E402
from autograd.tensor import Tensor, cross_entropy_logits, linear  # noqa: E402

LR = 0.1
TASKS = {
    "T1": ((64, 32, 10), 32, "digits"),
    "T2": ((64, 256, 256, 10), 128, "digits"),
    "T3": ((784, 1024, 1024, 10), 256, "random"),
}


# ----------------------------------------------------------------------------------- data
def make_batches(task: str, n_batches: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fixed mini-batches (float32 inputs, int64 labels), the same for every engine."""
    sizes, batch, source = TASKS[task]
    rng = np.random.default_rng(0)
    if source == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32)  # pixel values 0..16 scaled to [0, 1]
    else:
        X = rng.random((batch * n_batches, sizes[0]), dtype=np.float32)
        y = rng.integers(0, sizes[-1], batch * n_batches)
    order = rng.permutation(len(X))
    batches = []
    for k in range(n_batches):
        idx = order[(k * batch) % len(X) :][:batch]
        if len(idx) < batch:
            idx = rng.choice(len(X), batch, replace=False)
        batches.append((np.ascontiguousarray(X[idx]), y[idx].astype(np.int64)))
    return batches


def init_params(sizes: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """PyTorch's default Linear initialisation, seeded: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    rng = np.random.default_rng(1)
    params = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, fan_out).astype(np.float32)
        params.append((w, b))
    return params


# -------------------------------------------------------------------------------- engines
def numpy_floor(params: list) -> Callable:
    """The hand-written NumPy step: forward, loss, backward and update with no graph."""
    layers = [(w.copy(), b.copy()) for w, b in params]

    def step(x: np.ndarray, y: np.ndarray) -> float:
        n = len(x)
        rows = np.arange(n)
        acts = [x]
        h = x
        for k, (w, b) in enumerate(layers):
            h = h @ w.T
            h += b
            if k < len(layers) - 1:
                np.maximum(h, 0, out=h)
            acts.append(h)
        m = h.max(axis=1, keepdims=True)
        e = np.exp(h - m)
        s = e.sum(axis=1, keepdims=True)
        loss = (np.log(s[:, 0]) + m[:, 0] - h[rows, y]).sum() / n
        d = e / s  # d loss / d logits = (softmax - one_hot) / n
        d[rows, y] -= 1
        d /= n
        for k in range(len(layers) - 1, -1, -1):
            w, b = layers[k]
            dw = d.T @ acts[k]
            db = d.sum(axis=0)
            if k > 0:
                d = d @ w
                d *= acts[k] > 0
            w -= LR * dw
            b -= LR * db
        return float(loss)

    return step


def chainrule_step(params: list, fused: bool = True) -> Callable:
    """The step written with chainrule's public API."""
    layers = [(Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)) for w, b in params]
    every = [p for layer in layers for p in layer]
    last = len(layers) - 1

    def step(x: np.ndarray, y: np.ndarray) -> float:
        h = Tensor(x)
        for k, (w, b) in enumerate(layers):
            if fused:
                h = linear(h, w, b, activation="relu" if k < last else None)
            else:
                h = h @ w.T + b
                h = h.relu() if k < last else h
        if fused:
            loss = cross_entropy_logits(h, y)
        else:
            loss = -h.log_softmax(axis=1)[np.arange(len(y)), y].mean()
        loss.backward()
        for p in every:
            p.data -= LR * p.grad
            p.grad = None
        return loss.item()

    return step


def sequential_model(params: list) -> tuple:
    """``nn.Sequential`` of ``nn.Linear`` and ``nn.ReLU`` holding ``params``, and its SGD."""
    modules: list = []
    for k, (w, b) in enumerate(params):
        layer = nn.Linear(w.shape[1], w.shape[0])
        layer.weight.data, layer.bias.data = w.copy(), b.copy()
        modules += [layer, nn.ReLU()] if k < len(params) - 1 else [layer]
    model = nn.Sequential(*modules)
    return model, nn.SGD(model.parameters(), lr=LR)


def sequential_step(params: list) -> Callable:
    """What users write: the model, ``nn.cross_entropy`` and ``nn.SGD``."""
    model, optimizer = sequential_model(params)

    def step(x: np.ndarray, y: np.ndarray) -> float:
        optimizer.zero_grad()
        loss = nn.cross_entropy(model(Tensor(x)), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def compiled_step(params: list) -> Callable:
    """The same through ``nn.compile_step`` (the first call traces, later ones replay)."""
    model, optimizer = sequential_model(params)
    return nn.compile_step(model, nn.cross_entropy, optimizer)


def torch_step(params: list) -> Callable | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    F = torch.nn.functional
    layers = [
        (torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
        for w, b in params
    ]
    every = [p for layer in layers for p in layer]
    last = len(layers) - 1

    def step(x: np.ndarray, y: np.ndarray) -> float:
        h = torch.from_numpy(x)
        for k, (w, b) in enumerate(layers):
            h = F.linear(h, w, b)
            if k < last:
                h = F.relu(h)
        loss = F.cross_entropy(h, torch.from_numpy(y))
        loss.backward()
        with torch.no_grad():
            for p in every:
                p -= LR * p.grad
                p.grad = None
        return loss.item()

    return step


def jax_step(params: list) -> Callable | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None

    def loss_fn(layers: list, x: Any, y: Any) -> Any:
        h = x
        for k, (w, b) in enumerate(layers):
            h = h @ w.T + b
            if k < len(layers) - 1:
                h = jax.nn.relu(h)
        logp = jax.nn.log_softmax(h, axis=1)
        return -jnp.take_along_axis(logp, y[:, None], axis=1).mean()

    @jax.jit
    def update(layers: list, x: Any, y: Any) -> tuple:
        loss, grads = jax.value_and_grad(loss_fn)(layers, x, y)
        new = [(w - LR * gw, b - LR * gb) for (w, b), (gw, gb) in zip(layers, grads)]
        return new, loss

    state = {"layers": [(jnp.asarray(w), jnp.asarray(b)) for w, b in params]}

    def step(x: np.ndarray, y: np.ndarray) -> float:
        state["layers"], loss = update(state["layers"], x, y)
        return float(loss)

    return step


def hips_status() -> str:
    """HIPS autograd's module is also called ``autograd``, so it cannot run next to chainrule."""
    try:
        importlib.metadata.version("autograd")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
    return "installed, but its module name `autograd` is taken by chainrule here: not run"


# --------------------------------------------------------------------------------- timing
def best_ms(step: Callable, batches: list, steps: int) -> float:
    """Milliseconds per step over ``steps`` steps (cycling through the batches)."""
    start = time.perf_counter()
    for i in range(steps):
        x, y = batches[i % len(batches)]
        step(x, y)
    return (time.perf_counter() - start) / steps * 1e3


def python_calls(step: Callable, batch: tuple) -> int:
    """Python function calls (``call`` and ``c_call`` profile events) in one step."""
    count = [0]

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call" or event == "c_call":
            count[0] += 1

    sys.setprofile(profile)
    try:
        step(*batch)
    finally:
        sys.setprofile(None)
    return count[0] - 1  # the call of sys.setprofile(None) itself


def run_task(task: str, quick: bool) -> None:
    sizes, batch, source = TASKS[task]
    big = task == "T3"
    steps = (3 if big else 50) if quick else (10 if big else 400)
    rounds = 3 if quick else (5 if big else 15)
    batches = make_batches(task, 20)
    params = init_params(sizes)
    engines: dict[str, Callable | None] = {
        "numpy floor": numpy_floor(params),
        "chainrule": chainrule_step(params, fused=True),
        "chainrule (unfused)": chainrule_step(params, fused=False),
        "nn.Sequential": sequential_step(params),
        "nn.compile_step": compiled_step(params),
        "pytorch": torch_step(params),
        "jax (jit)": jax_step(params),
    }
    # every engine starts from the same weights: the first step's losses must agree
    first = {name: step(*batches[0]) for name, step in engines.items() if step is not None}
    spread = max(first.values()) - min(first.values())
    assert spread < 1e-4, f"{task}: first-step losses disagree: {first}"
    best = {name: float("inf") for name, step in engines.items() if step is not None}
    for step in engines.values():  # warm up (jit compiles, caches fill)
        if step is not None:
            best_ms(step, batches, max(2, steps // 10))
    for _ in range(rounds):  # interleaved rounds: a burst of load hits every engine alike
        for name, step in engines.items():
            if step is not None:
                best[name] = min(best[name], best_ms(step, batches, steps))
    calls = {name: python_calls(step, batches[0]) for name, step in engines.items() if step}
    floor = best["numpy floor"]
    arch = "-".join(map(str, sizes))
    print(f"\n{task}: MLP {arch}, batch {batch}, {source} data, float32, 1 thread")
    for name, step in engines.items():
        if step is None:
            print(f"  {name:<22} not installed")
        else:
            print(
                f"  {name:<22} {best[name]:9.4f} ms/step   {best[name] / floor:5.2f}x floor"
                f"   {calls[name]:5d} Python calls/step"
            )
    print(f"  {'hips autograd':<22} {hips_status()}")


def mnist_epoch(quick: bool) -> None:
    """One epoch of MNIST-shaped random data: plain loop, compiled step and PyTorch."""
    n, batch, sizes = (10_000 if quick else 60_000), 128, (784, 256, 128, 10)
    rng = np.random.default_rng(0)
    X = rng.random((n, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], n).astype(np.int64)
    order = rng.permutation(n)  # one shuffled order, the same for every engine
    batches = [
        (np.ascontiguousarray(X[order[k : k + batch]]), y[order[k : k + batch]])
        for k in range(0, n, batch)
    ]
    params = init_params(sizes)
    engines: dict[str, Callable | None] = {
        "nn.Sequential loop": sequential_step(params),
        "nn.compile_step": compiled_step(params),
        "pytorch": torch_step(params),
    }
    best = {name: float("inf") for name, step in engines.items() if step is not None}
    for _ in range(1 if quick else 2):  # alternate the engines, epoch by epoch
        for name, step in engines.items():
            if step is None:
                continue
            start = time.perf_counter()
            for xb, yb in batches:
                step(xb, yb)
            best[name] = min(best[name], time.perf_counter() - start)
    ref = best.get("pytorch")
    arch = "-".join(map(str, sizes))
    print(
        f"\nMNIST-shaped epoch: {n:,} x {sizes[0]} random float32, MLP {arch}, batch {batch}"
        f" ({len(batches)} steps), SGD, 1 thread"
    )
    for name, step in engines.items():
        if step is None:
            print(f"  {name:<22} not installed")
            continue
        ratio = f"   {best[name] / ref:5.2f}x pytorch" if ref else ""
        print(f"  {name:<22} {best[name]:9.3f} s/epoch{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (a few seconds)")
    parser.add_argument(
        "--tasks", default="T1,T2,T3,MNIST", help="comma-separated, e.g. T1,T2 or MNIST"
    )
    args = parser.parse_args()
    versions = [f"numpy {np.__version__}"]
    try:
        import torch

        versions.append(f"torch {torch.__version__}")
    except ImportError:
        pass
    print(f"one training step (forward, loss, backward, SGD); {', '.join(versions)}")
    for task in args.tasks.split(","):
        task = task.strip().upper()
        if task == "MNIST":
            mnist_epoch(args.quick)
        else:
            run_task(task, args.quick)


if __name__ == "__main__":
    main()
