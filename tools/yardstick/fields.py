"""Smooth random fields used for paper, lighting, ink pressure and textures.

All return float32 arrays of shape (H, W).  Low-frequency fields are drawn on a coarse grid
and enlarged with bicubic resampling (Pillow, mode "F"), which is far cheaper than blurring
full-size white noise and gives the same look.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def smooth_noise(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean noise (H, W) float32 with features about ``scale`` px wide, std ~0.5, roughly in [-1, 1]."""
    h, w = shape
    gh, gw = max(2, int(np.ceil(h / scale)) + 2), max(2, int(np.ceil(w / scale)) + 2)
    coarse = rng.standard_normal((gh, gw)).astype(np.float32) * 0.5
    # Enlarge a grid one cell bigger than needed and crop at a random sub-cell offset so that the
    # grid lines do not always fall on the same pixels.
    big = Image.fromarray(coarse, mode="F").resize((int(gw * scale), int(gh * scale)), Image.BICUBIC)
    oy, ox = rng.integers(0, max(1, int(scale)), 2)
    return np.asarray(big, dtype=np.float32)[oy:oy + h, ox:ox + w]


def fine_noise(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Pixel-level standard normal noise (H, W) float32."""
    return rng.standard_normal(shape, dtype=np.float32)


def fbm(shape: tuple[int, int], scale: float, rng: np.random.Generator, octaves: int = 4) -> np.ndarray:
    """Fractal noise (H, W) float32: octaves of smooth_noise, each half the size and weight."""
    out = np.zeros(shape, np.float32)
    weight, s = 1.0, scale
    for _ in range(octaves):
        out += weight * smooth_noise(shape, max(s, 2.0), rng)
        weight *= 0.5
        s /= 2.0
    return out


def lighting(shape: tuple[int, int], rng: np.random.Generator, strength: float = 1.0,
             shadow_prob: float = 0.35) -> np.ndarray:
    """Multiplicative illumination (H, W) float32, ~0.55-1.05: gradient, vignette, maybe a soft shadow.

    Phone photos of paper are lit unevenly: a window on one side, the lens darkening corners,
    the phone or a hand casting a soft shadow across part of the sheet.
    """
    h, w = shape
    # Work on a small grid; light varies slowly, so bicubic enlargement loses nothing.
    sh, sw = max(8, h // 8), max(8, w // 8)
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    yy, xx = yy / (sh - 1) * 2 - 1, xx / (sw - 1) * 2 - 1
    theta = rng.uniform(0, 2 * np.pi)
    light = 1.0 + strength * rng.uniform(0.03, 0.14) * (xx * np.cos(theta) + yy * np.sin(theta))
    cx, cy = rng.uniform(-0.4, 0.4, 2)
    light *= 1.0 - strength * rng.uniform(0.0, 0.18) * ((xx - cx) ** 2 + (yy - cy) ** 2) / 2
    if rng.random() < shadow_prob:
        phi = rng.uniform(0, 2 * np.pi)
        d = xx * np.cos(phi) + yy * np.sin(phi) - rng.uniform(0.2, 0.9)
        soft = rng.uniform(0.08, 0.35)
        light *= 1.0 - strength * rng.uniform(0.12, 0.35) / (1.0 + np.exp(-d / soft))
    big = Image.fromarray(light.astype(np.float32), mode="F").resize((w, h), Image.BICUBIC)
    return np.asarray(big, dtype=np.float32)
