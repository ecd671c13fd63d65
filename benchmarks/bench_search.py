"""Time of ``nn.grid_search`` against a hand-written loop of the same ``fit`` calls.

The README's digits MLP (64-256-10, ReLU, Adam, 20 epochs) over a 3 x 3 grid of learning rate x
batch size, scored on a validation split from ``nn.train_val_test_split``. The hand loop builds
and fits the same 9 configurations with the same seeds; the ratio search / hand loop is the
search's own overhead (snapshots of the best epoch, the table). Target: under 10 s in total.

Usage: ``python benchmarks/bench_search.py``
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

import nn  # noqa: E402

LRS, BATCHES, EPOCHS = [1e-3, 3e-3, 1e-2], [32, 64, 128], 20


def build(lr: float, seed: int = 0):
    nn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    return model, nn.Adam(model.parameters(), lr=lr)


def main() -> None:
    X, y = nn.datasets.digits()
    X_train, X_val, X_test, y_train, y_val, y_test = nn.train_val_test_split(X, y, seed=0)
    start = time.perf_counter()
    result = nn.grid_search(build, {"lr": LRS, "batch_size": BATCHES}, X_train, y_train,
                            validation_data=(X_val, y_val), epochs=EPOCHS, seed=0)
    search = time.perf_counter() - start
    start = time.perf_counter()
    for lr in LRS:
        for bs in BATCHES:
            model, opt = build(lr)
            nn.fit(model, X_train, y_train, nn.cross_entropy, opt, epochs=EPOCHS, batch_size=bs,
                   validation_data=(X_val, y_val), progress=False, seed=0)
    hand = time.perf_counter() - start
    n = len(LRS) * len(BATCHES)
    print(result)
    print(f"best {result.best_params}")
    print(f"grid_search: {search:.2f} s total, {search / n:.2f} s per configuration")
    print(f"hand loop:   {hand:.2f} s total, {hand / n:.2f} s per configuration")
    print(f"ratio search / hand loop: {search / hand:.2f}")


if __name__ == "__main__":
    main()
