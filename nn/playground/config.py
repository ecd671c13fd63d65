"""The playground's setup: every choice of the controls in one frozen dataclass, and its short
copy-paste string (``data=spirals&layers=8,8&lr=0.03``), like TensorFlow Playground's URL.

``Setup(...)`` checks every field and raises :class:`SetupError` naming the field; so does
:meth:`Setup.parse` for a string (unknown field, a part that is not ``field=value``, a value of
the wrong kind). A string lists only the fields it changes: the others keep their defaults.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, fields
from typing import Any

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "FEATURES",
    "OPTIMIZERS",
    "REGULARIZATIONS",
    "Setup",
    "SetupError",
]

DATASETS = ("moons", "circles", "spirals", "xor", "gaussians")
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
REGULARIZATIONS = ("none", "l1", "l2")
OPTIMIZERS = ("sgd", "adam")
MAX_LAYERS = 6
MAX_NEURONS = 8

# field name -> its short key in the setup string, in the string's order
KEYS = {
    "dataset": "data",
    "noise": "noise",
    "points": "points",
    "train_ratio": "train",
    "features": "features",
    "hidden": "layers",
    "activation": "act",
    "lr": "lr",
    "batch_size": "batch",
    "regularization": "reg",
    "reg_rate": "reg_rate",
    "dropout": "dropout",
    "optimizer": "opt",
    "seed": "seed",
}
FIELDS = {key: name for name, key in KEYS.items()}


class SetupError(ValueError):
    """A setup that cannot be used; ``field`` names the setup-string key at fault ('' when the
    string as a whole is malformed)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


@dataclass(frozen=True)
class Setup:
    """Everything the playground's controls choose. The defaults are the network of the
    issue: 2 inputs, 2 hidden layers of 4 tanh neurons, 200 points of two moons, half of them
    for validation, SGD at a learning rate of 0.03 on batches of 10."""

    dataset: str = "moons"
    noise: float = 0.1
    points: int = 200
    train_ratio: float = 0.5
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 4)
    activation: str = "tanh"
    lr: float = 0.03
    batch_size: int = 10
    regularization: str = "none"
    reg_rate: float = 0.001
    dropout: float = 0.0
    optimizer: str = "sgd"
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: the checked (normalized) values are set this way
        set_(self, "dataset", _choice("data", self.dataset, DATASETS))
        set_(self, "noise", _number("noise", self.noise, 0.0, 1.0))
        set_(self, "points", _integer("points", self.points, 20, 2000))
        set_(self, "train_ratio", _number("train", self.train_ratio, 0.1, 0.9))
        set_(self, "features", _features(self.features))
        set_(self, "hidden", _hidden(self.hidden))
        set_(self, "activation", _choice("act", self.activation, ACTIVATIONS))
        set_(self, "lr", _number("lr", self.lr, 0.0, 10.0, open_low=True))
        set_(self, "batch_size", _integer("batch", self.batch_size, 1, self.n_train))
        set_(self, "regularization", _choice("reg", self.regularization, REGULARIZATIONS))
        set_(self, "reg_rate", _number("reg_rate", self.reg_rate, 0.0, 10.0))
        set_(self, "dropout", _number("dropout", self.dropout, 0.0, 0.9))
        set_(self, "optimizer", _choice("opt", self.optimizer, OPTIMIZERS))
        set_(self, "seed", _integer("seed", self.seed, 0, 2**32 - 1))

    @property
    def n_train(self) -> int:
        """How many of the points are for training (the rest are for validation)."""
        return max(1, min(self.points - 1, round(self.points * self.train_ratio)))

    def replace(self, **changes: Any) -> Setup:
        """A copy with ``changes`` (field names), checked like a new Setup."""
        unknown = [name for name in changes if name not in KEYS]
        if unknown:
            raise SetupError(unknown[0], f"no such setup field (fields: {', '.join(KEYS)})")
        return dataclasses.replace(self, **changes)

    def to_string(self) -> str:
        """The setup as ``key=value`` pairs joined by ``&`` (every field, in a fixed order);
        ``Setup.parse(setup.to_string()) == setup``."""
        return "&".join(f"{key}={_text(getattr(self, name))}" for name, key in KEYS.items())

    def __str__(self) -> str:
        return self.to_string()

    @classmethod
    def parse(cls, text: str, base: Setup | None = None) -> Setup:
        """The setup a string describes: ``key=value`` pairs joined by ``&`` (spaces and
        newlines around them are ignored); a key left out keeps its value in ``base`` (the
        defaults when None). Raises :class:`SetupError` naming the key at fault."""
        if not isinstance(text, str):
            raise SetupError("", f"a setup is a string like 'data=moons&lr=0.03', got "
                                 f"{type(text).__name__}")
        base = cls() if base is None else base
        changes: dict[str, Any] = {}
        for part in text.replace("\n", "&").split("&"):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep:
                raise SetupError("", f"{part[:40]!r} is not key=value (e.g. lr=0.03); keys: "
                                     f"{', '.join(KEYS.values())}")
            if key not in FIELDS:
                raise SetupError(key, f"no such setup key (keys: {', '.join(KEYS.values())})")
            if FIELDS[key] in changes:
                raise SetupError(key, "given twice")
            changes[FIELDS[key]] = _read(key, type(getattr(base, FIELDS[key])), value)
        return dataclasses.replace(base, **changes)


# ------------------------------------------------------------------------ reading and checks
def _text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _read(key: str, kind: type, value: str) -> Any:
    """The string ``value`` of ``key`` as its field's type (a tuple, an int, a float or a str)."""
    if kind is tuple:
        items = [v.strip() for v in value.split(",") if v.strip()]
        if key == "layers":
            for v in items:
                if not v.lstrip("-").isdigit():
                    raise SetupError(key, f"neurons per hidden layer are whole numbers "
                                          f"separated by commas (e.g. 4,4), got {value!r}")
            return tuple(int(v) for v in items)
        return tuple(items)
    if kind is int:
        try:
            return int(value)
        except ValueError:
            raise SetupError(key, f"must be a whole number, got {value!r}") from None
    if kind is float:
        try:
            return float(value)
        except ValueError:
            raise SetupError(key, f"must be a number, got {value!r}") from None
    return value.lower()


def _choice(key: str, value: Any, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in options:
        raise SetupError(key, f"must be one of {', '.join(options)}; got {value!r}")
    return value.lower()


def _number(
    key: str, value: Any, low: float, high: float, open_low: bool = False
) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or math.isnan(value):
        raise SetupError(key, f"must be a number, got {value!r}")
    value = float(value)
    if value < low or value > high or (open_low and value == low):
        where = f"({low:g}, {high:g}]" if open_low else f"[{low:g}, {high:g}]"
        raise SetupError(key, f"must be in {where}, got {value!r}")
    return value


def _integer(key: str, value: Any, low: int, high: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise SetupError(key, f"must be a whole number, got {value!r}")
    value = int(value)
    if not low <= value <= high:
        raise SetupError(key, f"must be from {low} to {high}, got {value!r}")
    return value


def _features(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise SetupError("features", f"must be a list of names from {', '.join(FEATURES)}; "
                                     f"got {value!r}")
    names = tuple(value)
    if not names:
        raise SetupError("features", "choose at least one input feature")
    for name in names:
        if name not in FEATURES:
            raise SetupError("features", f"unknown feature {name!r} (features: "
                                         f"{', '.join(FEATURES)})")
    if len(set(names)) != len(names):
        raise SetupError("features", f"a feature is listed twice: {','.join(names)}")
    return tuple(sorted(names, key=FEATURES.index))


def _hidden(value: Any) -> tuple[int, ...]:
    if isinstance(value, (str, numbers.Number)) or not hasattr(value, "__iter__"):
        raise SetupError("layers", f"must be a list of neurons per hidden layer, got {value!r}")
    layers = tuple(value)
    if len(layers) > MAX_LAYERS:
        raise SetupError("layers", f"at most {MAX_LAYERS} hidden layers, got {len(layers)}")
    for i, n in enumerate(layers):
        if not isinstance(n, numbers.Integral) or isinstance(n, bool):
            raise SetupError("layers", f"hidden layer {i + 1}: neurons must be a whole number, "
                                       f"got {n!r}")
        if not 1 <= int(n) <= MAX_NEURONS:
            raise SetupError("layers", f"hidden layer {i + 1} needs 1 to {MAX_NEURONS} "
                                       f"neurons, got {n}")
    return tuple(int(n) for n in layers)


# the field names in dataclass order (checked against KEYS once, at import)
assert [f.name for f in fields(Setup)] == list(KEYS), "KEYS must list every Setup field"
