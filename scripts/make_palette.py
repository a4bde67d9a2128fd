"""Regenerate the explorer's colour definitions (src/mmphate/explorer/palette.json).

One file holds every colour the explorer uses, read by the front end (bundled by esbuild) and by
the Python side (static figures, pythreejs export), so both draw the same colours:

* ``categorical``: 32 colours for units, clusters and classes, chosen greedily so that each new
  colour is as far as possible (CIELAB distance) from those already chosen, among sRGB colours of
  lightness 35-80 and chroma >= 30 (visible on light and dark backgrounds, never grey: grey means
  "unassigned"). The first five are matplotlib's tab10 colours. Any two of the 32 differ by
  more than 28 CIELAB units (tab20: 17; the golden-ratio hues used before: 9).
* ``viridis``: matplotlib's viridis, 256 entries (continuous modes: epoch, timestep, entropies).
* ``missing``: the colour of unassigned / missing values.

Usage: python scripts/make_palette.py [--out src/mmphate/explorer/palette.json]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

SEEDS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
N_COLOURS = 32


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB colours in [0, 1]."""
    rgb = np.asarray(rgb, float)
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1
    )


def hex_rgb(h: str) -> np.ndarray:
    return np.array([int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def rgb_hex(c: np.ndarray) -> str:
    return "#" + "".join(f"{int(round(float(v) * 255)):02x}" for v in c)


def categorical(n: int = N_COLOURS) -> list[str]:
    grid = np.linspace(0, 1, 18)
    cand = np.stack(np.meshgrid(grid, grid, grid, indexing="ij"), -1).reshape(-1, 3)
    lab = srgb_to_lab(cand)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    keep = (lab[:, 0] >= 35) & (lab[:, 0] <= 80) & (chroma >= 30)
    cand, lab = cand[keep], lab[keep]
    chosen = [hex_rgb(h) for h in SEEDS]
    chosen_lab = [srgb_to_lab(c) for c in chosen]
    while len(chosen) < n:
        dist = np.linalg.norm(lab[:, None, :] - np.array(chosen_lab)[None], axis=-1).min(axis=1)
        i = int(np.argmax(dist))
        chosen.append(cand[i])
        chosen_lab.append(lab[i])
    return [rgb_hex(c) for c in chosen]


def viridis() -> list[str]:
    from matplotlib import colormaps

    lut = colormaps["viridis"](np.linspace(0, 1, 256))[:, :3]
    return [rgb_hex(c) for c in lut]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path("src/mmphate/explorer/palette.json"), help="output file"
    )
    args = parser.parse_args()
    spec = {"categorical": categorical(), "viridis": viridis(), "missing": "#999999"}
    text = json.dumps(spec, indent=1) + "\n"
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, args.out)
    print(args.out)


if __name__ == "__main__":
    main()
