"""Deterministic synthetic recordings for the benchmarks (numpy only: runs in both venvs).

Each unit follows a smooth latent trajectory through (epoch, timestep); every
sample reads the latent state through its own random projection, plus noise,
through a tanh.  Nearby slices are therefore similar, units differ from one
another, and the structure sharpens over training (the latent drift grows with
the epoch), which is roughly what RNN hidden states look like.  Generated one
epoch at a time in float32, so a 10 M-node tensor needs no float64 copy.
"""

from __future__ import annotations

import numpy as np

LATENT_DIM = 4


def synthetic_hidden(
    shape: tuple[int, int, int, int], seed: int = 0, noise: float = 0.2
) -> np.ndarray:
    """Hidden-state tensor of shape (epochs, timesteps, units, samples), float32."""
    E, T, U, S = (int(v) for v in shape)
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.5, 4.0, size=(U, LATENT_DIM)).astype(np.float32)
    phase = rng.uniform(0.0, 2 * np.pi, size=(U, LATENT_DIM)).astype(np.float32)
    speed = rng.uniform(0.2, 1.0, size=(U, LATENT_DIM)).astype(np.float32)
    proj = (rng.normal(size=(LATENT_DIM, S)) / np.sqrt(LATENT_DIM)).astype(np.float32)
    bias = rng.normal(scale=0.3, size=(U, S)).astype(np.float32)
    t = np.linspace(0.0, 1.0, T, dtype=np.float32)[:, None, None]
    out = np.empty((E, T, U, S), dtype=np.float32)
    for e in range(E):
        progress = np.float32(e / max(E - 1, 1))
        gain = np.float32(0.5 + 1.5 * progress)  # representations sharpen over training
        z = np.sin(2 * np.pi * freq * (t + speed * progress) + phase)  # (T, U, d)
        h = gain * (z @ proj) + bias  # (T, U, S)
        h += noise * np.random.default_rng((seed, e)).standard_normal(h.shape, dtype=np.float32)
        np.tanh(h, out=out[e])
    return out
