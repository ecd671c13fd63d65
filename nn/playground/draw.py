"""The playground's pictures as SVG text (for an ipywidgets ``HTML``): the decision boundary
with the points, the network with each neuron's map and its weights as edges, the loss curves.

Heatmaps are PNG images written here with zlib (no imaging library) and embedded as ``data:``
URIs, so a page asks the server for nothing when they change. Colours are TensorFlow
Playground's: orange for negative (class 0), blue for positive (class 1), white-grey at zero.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence
from html import escape

import numpy as np

__all__ = ["BLUE", "ORANGE", "boundary_svg", "curves_svg", "heat_rgb", "network_svg", "png"]

ORANGE = np.array([245.0, 147.0, 34.0])
BLUE = np.array([8.0, 119.0, 189.0])
MIDDLE = np.array([232.0, 234.0, 235.0])
CSS_ORANGE, CSS_BLUE = "#f59322", "#0877bd"


def heat_rgb(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (clipped) as uint8 RGB: -1 orange, 0 light grey, +1 blue; a value
    that is not a number (a diverged network's) as 0."""
    v = np.asarray(values, dtype=np.float64)
    v = np.clip(np.nan_to_num(v, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)[..., None]
    rgb = np.where(v < 0, MIDDLE + (MIDDLE - ORANGE) * v, MIDDLE + (BLUE - MIDDLE) * v)
    return rgb.astype(np.uint8)


def png(rgb: np.ndarray) -> bytes:
    """An RGB image (uint8, shape ``(height, width, 3)``) as the bytes of a PNG file."""
    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # filter byte 0 on each row
    rows[:, 1:] = rgb.reshape(height, -1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def _uri(values: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png(heat_rgb(values))).decode("ascii")


def boundary_svg(
    prob: np.ndarray,
    extent: tuple[float, float, float, float],
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    size: int = 320,
) -> str:
    """The probability of class 1 on the grid (``prob``, top row first) as the background, the
    training points ringed in white and the validation points in black, coloured by class."""
    x0, x1, y0, y1 = extent
    parts = [
        f'<svg class="pg-boundary" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<image href="{_uri(2 * prob - 1)}" x="0" y="0" width="{size}" height="{size}" '
        'preserveAspectRatio="none" style="image-rendering:auto"/>',
    ]
    for (X, y), ring in ((train, "#ffffff"), (val, "#222222")):
        px = (X[:, 0] - x0) / (x1 - x0) * size
        py = (y1 - X[:, 1]) / (y1 - y0) * size
        for a, b, k in zip(px, py, y):
            fill = CSS_BLUE if k else CSS_ORANGE
            parts.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3.5" fill="{fill}" '
                         f'stroke="{ring}" stroke-width="1"/>')
    parts.append("</svg>")
    return "".join(parts)


def _normalized(layer: np.ndarray, activation: str) -> np.ndarray:
    """A layer's outputs scaled into [-1, 1] for display (tanh as it is, sigmoid from
    (0, 1), relu and linear by their largest magnitude on the grid)."""
    layer = np.nan_to_num(layer.astype(np.float64), nan=0.0, posinf=1e300, neginf=-1e300)
    if activation == "tanh":
        return layer
    if activation == "sigmoid":
        return 2 * layer - 1
    top = np.abs(layer).max(axis=(1, 2), keepdims=True)
    return layer / np.maximum(top, 1e-9)


def network_svg(
    names: Sequence[str],
    maps: Sequence[np.ndarray],
    weights: Sequence[np.ndarray],
    activation: str,
    box: int = 36,
) -> str:
    """The network as columns of neurons, each drawn as its map on the grid (``maps[i]`` of
    shape ``(units, GRID, GRID)``: the inputs, the hidden layers, the output probability),
    joined by one edge per weight (``weights[i]`` of shape ``(out, in)``): blue for a positive
    weight, orange for a negative one, the width growing with its magnitude."""
    n_cols = len(maps)
    gap_x, gap_y = 3 * box, box // 2 + 8
    tallest = max(m.shape[0] for m in maps)
    width = n_cols * box + (n_cols - 1) * gap_x + 84
    height = tallest * (box + gap_y) + 24

    def place(col: int, row: int, count: int) -> tuple[float, float]:
        top = (height - 20 - count * (box + gap_y) + gap_y) / 2 + 20
        return 60 + col * (box + gap_x), top + row * (box + gap_y)

    parts = [f'<svg class="pg-network" width="{width}" height="{height}" '
             'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">']
    scale = max(max(float(np.abs(w).max()) for w in weights), 1e-9) if weights else 1.0
    for col, w in enumerate(weights):
        n_out, n_in = w.shape
        for j in range(n_out):
            bx, by = place(col + 1, j, n_out)
            for i in range(n_in):
                ax, ay = place(col, i, n_in)
                value = float(w[j, i])
                stroke = CSS_BLUE if value > 0 else CSS_ORANGE
                thick = 0.5 + 5.0 * abs(value) / scale
                parts.append(
                    f'<path d="M{ax + box:.1f},{ay + box / 2:.1f} C{ax + box + gap_x / 2:.1f},'
                    f'{ay + box / 2:.1f} {bx - gap_x / 2:.1f},{by + box / 2:.1f} {bx:.1f},'
                    f'{by + box / 2:.1f}" fill="none" stroke="{stroke}" stroke-width="'
                    f'{thick:.2f}" opacity="0.8"><title>weight {value:.3f}</title></path>')
    for col, layer in enumerate(maps):
        last = col == n_cols - 1
        if col == 0:
            shown = _normalized(layer, "linear")
        elif last:
            shown = 2 * layer - 1
        else:
            shown = _normalized(layer, activation)
        label = "input" if col == 0 else "output" if last else f"hidden {col}"
        x, _ = place(col, 0, 1)
        parts.append(f'<text x="{x + box / 2:.1f}" y="12" text-anchor="middle">{label}</text>')
        for row in range(layer.shape[0]):
            x, y = place(col, row, layer.shape[0])
            parts.append(f'<image href="{_uri(shown[row])}" x="{x:.1f}" y="{y:.1f}" '
                         f'width="{box}" height="{box}" preserveAspectRatio="none"/>'
                         f'<rect x="{x:.1f}" y="{y:.1f}" width="{box}" height="{box}" '
                         'fill="none" stroke="#888"/>')
            if col == 0:
                parts.append(f'<text x="{x - 4:.1f}" y="{y + box / 2 + 4:.1f}" '
                             f'text-anchor="end">{escape(names[row])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def curves_svg(
    train: Sequence[float], val: Sequence[float], width: int = 320, height: int = 110
) -> str:
    """The training (dark grey) and validation (blue) loss per epoch as two lines from 0 to
    the largest loss, with the latest values written above."""
    points = max(len(train), 2)
    finite = [v for v in (*train, *val) if np.isfinite(v)]
    top = max(finite) if finite else 1.0
    top = top if top > 0 else 1.0

    def line(values: Sequence[float], colour: str) -> str:
        xy = " ".join(
            f"{i / (points - 1) * width:.1f},{height - min(v / top, 1.0) * (height - 4):.1f}"
            for i, v in enumerate(values) if np.isfinite(v)
        )
        return f'<polyline points="{xy}" fill="none" stroke="{colour}" stroke-width="1.5"/>'

    return (f'<svg class="pg-curves" width="{width}" height="{height}" '
            'xmlns="http://www.w3.org/2000/svg" style="background:#fafafa">'
            f'{line(train, "#444")}{line(val, CSS_BLUE)}</svg>')
