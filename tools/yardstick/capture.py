"""Capture styles: how a digit reaches the recogniser (drawing-app PNG or phone photo of paper).

A Look (chosen once per image by choose_look) fixes the pen, ink colour, background and file
format.  compose() turns a full-image ink coverage (float32 (H, W) in [0, 1]) into the final
picture and encode() into file bytes.  Photo styles go through paper texture, ink blending,
uneven light, lens blur, sensor noise and JPEG, in the order light travels.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from . import fields
from .pen import Pen

STYLES = ("canvas_dark_on_light", "canvas_light_on_dark", "pencil", "ballpoint", "marker", "fountain_pen")

_PAPERS = [(247, 246, 241), (243, 238, 226), (237, 240, 244), (250, 250, 250), (235, 232, 220)]
_CANVAS_LIGHT = [(255, 255, 255), (255, 255, 255), (248, 248, 248), (252, 250, 240), (236, 239, 243)]
_CANVAS_DARK = [(0, 0, 0), (0, 0, 0), (30, 30, 30), (18, 22, 40), (40, 42, 48)]
_INK_DARK = [(0, 0, 0), (0, 0, 0), (40, 40, 40), (20, 30, 100), (90, 20, 20)]
_INK_LIGHT = [(255, 255, 255), (255, 255, 255), (230, 230, 230), (255, 240, 150), (170, 220, 255)]
_BALLPOINT = [(25, 40, 130), (30, 45, 110), (25, 25, 30), (35, 35, 45)]
_FOUNTAIN = [(20, 30, 95), (15, 15, 25), (60, 40, 28), (25, 45, 140)]
_MARKER = [(25, 25, 28), (25, 60, 175), (195, 35, 35), (25, 125, 60), (95, 45, 150), (25, 25, 28)]


@dataclass(frozen=True)
class Look:
    """Everything about one picture except what is drawn.

    style: one of STYLES; pen: Pen; ink: RGB 0-255; background: RGB (canvas colour or paper
    base); transparent: PNG with alpha and transparent background; fmt: "png" or "jpeg";
    polarity: "dark_on_light" or "light_on_dark"; pencil_depth: grey levels graphite takes off.
    """

    style: str
    pen: Pen
    ink: tuple
    background: tuple
    transparent: bool
    fmt: str
    polarity: str
    pencil_depth: float = 0.0
    exposure: float = 1.0
    ruling: str = "plain"


def _pick(rng: np.random.Generator, options: list) -> tuple:
    return tuple(options[int(rng.integers(0, len(options)))])


def image_size(style: str, rng: np.random.Generator) -> tuple[int, int]:
    """(width, height) in px for a single-mark picture of this style."""
    if style.startswith("canvas"):
        side = int(rng.integers(250, 1001))
        aspect = 1.0 if rng.random() < 0.6 else float(rng.choice([0.75, 4 / 3, 0.6]))
    else:
        lo, hi = (400, 901) if style == "pencil" else (300, 1001)
        side = int(rng.integers(lo, hi))
        aspect = float(rng.choice([0.75, 1.0, 4 / 3]))
    # side is the longer edge, so both edges stay within 250-1000 px.
    if aspect >= 1:
        return side, max(250, int(side / aspect))
    return max(250, int(side * aspect)), side


def choose_look(style: str, rng: np.random.Generator, height: float) -> Look:
    """Draw the pen, colours, background and format for one picture whose digits are ~height px tall."""
    if style == "canvas_dark_on_light" or style == "canvas_light_on_dark":
        dark = style == "canvas_dark_on_light"
        pen = Pen("round", width=rng.uniform(0.06, 0.12) * height, aliased=rng.random() < 0.15)
        return Look(style, pen, _pick(rng, _INK_DARK if dark else _INK_LIGHT),
                    _pick(rng, _CANVAS_LIGHT if dark else _CANVAS_DARK), transparent=rng.random() < 0.3,
                    fmt="png", polarity="dark_on_light" if dark else "light_on_dark")
    paper = tuple(int(c) for c in np.clip(np.array(_pick(rng, _PAPERS)) + rng.integers(-4, 5, 3), 0, 255))
    ruling = str(rng.choice(["plain"] * 6 + ["lined", "squared"]))
    if style == "pencil":
        pen = Pen("pencil", width=rng.uniform(1.5, 4.0))
        return Look(style, pen, (0, 0, 0), paper, False, "jpeg", "dark_on_light",
                    pencil_depth=rng.uniform(65, 115), exposure=rng.uniform(0.88, 1.0), ruling=ruling)
    if style == "ballpoint":
        pen = Pen("ballpoint", width=rng.uniform(2.0, 4.0))
        return Look(style, pen, _pick(rng, _BALLPOINT), paper, False, "jpeg", "dark_on_light",
                    exposure=rng.uniform(0.78, 1.0), ruling=ruling)
    if style == "marker":
        pen = Pen("marker", width=rng.uniform(0.12, 0.2) * height)
        return Look(style, pen, _pick(rng, _MARKER), paper, False, "png" if rng.random() < 0.3 else "jpeg",
                    "dark_on_light", exposure=rng.uniform(0.85, 1.0), ruling="plain")
    if style == "fountain_pen":
        pen = Pen("fountain", width=rng.uniform(0.07, 0.12) * height, hairline=rng.uniform(0.8, 1.4),
                  nib_angle=rng.uniform(25, 55))
        return Look(style, pen, _pick(rng, _FOUNTAIN), paper, False, "jpeg", "dark_on_light",
                    exposure=rng.uniform(0.85, 1.0), ruling=ruling)
    raise ValueError(f"unknown style {style!r}")


def paper(look: Look, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Paper (or canvas) background, float32 (H, W, 3) in 0-255."""
    h, w = shape
    base = np.array(look.background, dtype=np.float32)
    if look.style.startswith("canvas"):
        return np.broadcast_to(base, (h, w, 3)).copy()
    # Mottling (fibre clumps) plus fine tooth; paper is never a flat colour in a photo.
    tone = 2.5 * fields.fbm(shape, max(h, w) / 6, rng, octaves=3) + 1.2 * fields.fine_noise(shape, rng)
    out = base[None, None, :] + tone[..., None]
    if look.ruling != "plain":
        mask, line, strength = printed_lines((h, w), look.ruling, rng)
        mask = mask * strength
        out = out * (1 - mask[..., None]) + (out * line / 255.0) * mask[..., None]
    return out


def printed_lines(shape: tuple[int, int], ruling: str, rng: np.random.Generator,
                  degrees: float = 0.0) -> tuple[np.ndarray, np.ndarray, float]:
    """A "lined" or "squared" sheet's printed lines, turned by `degrees` (0: along the rows and columns): (mask,
    float32 (H, W) in [0, 1], lines about 2 px wide; the lines' colour, RGB float32; their strength, the share of
    the way from the paper's colour to theirs)."""
    h, w = shape
    spacing = rng.uniform(0.05, 0.09) * max(h, w)
    offset = rng.uniform(0, spacing)
    line = np.array([160, 185, 225], np.float32) if rng.random() < 0.7 else np.array([170, 170, 175], np.float32)
    strength = rng.uniform(0.2, 0.45)

    def lines(distance: np.ndarray) -> np.ndarray:
        # distance to the nearest printed line; about 2 px wide after the clip
        return np.clip(1.2 - np.abs(((distance - offset + spacing / 2) % spacing) - spacing / 2), 0, 1)

    if degrees == 0:
        mask = lines(np.arange(h, dtype=np.float32)[:, None])
        if ruling == "squared":
            mask = np.maximum(mask, lines(np.arange(w, dtype=np.float32)[None, :]))
        return np.broadcast_to(mask, (h, w)), line, strength
    angle = np.radians(degrees)
    rows, columns = np.mgrid[0:h, 0:w].astype(np.float32)
    mask = lines(rows * np.cos(angle) - columns * np.sin(angle))  # constant along a turned horizontal line
    if ruling == "squared":
        mask = np.maximum(mask, lines(columns * np.cos(angle) + rows * np.sin(angle)))
    return mask, line, strength


def compose(cov: np.ndarray, look: Look, rng: np.random.Generator, background: np.ndarray | None = None) -> Image.Image:
    """The finished picture from ink coverage cov (float32 (H, W)) in this look.

    background: optional float32 (H, W, 3) to draw on instead of fresh paper (textures,
    smudges).  Returns a PIL image: "RGBA" for transparent canvases, else "RGB".
    """
    h, w = cov.shape
    ink = np.array(look.ink, dtype=np.float32)
    if look.style.startswith("canvas"):
        if look.transparent:
            # Like an HTML canvas export: fully transparent pixels are (0, 0, 0, 0), ink keeps its colour.
            rgba = np.zeros((h, w, 4), np.uint8)
            rgba[..., :3] = np.where(cov[..., None] > 0, ink, 0).astype(np.uint8)
            rgba[..., 3] = np.round(cov * 255).astype(np.uint8)
            return Image.fromarray(rgba, "RGBA")
        bg = paper(look, (h, w), rng) if background is None else background
        out = bg * (1 - cov[..., None]) + ink * cov[..., None]
        return Image.fromarray(np.clip(np.round(out), 0, 255).astype(np.uint8), "RGB")
    bg = paper(look, (h, w), rng) if background is None else background
    c = cov[..., None]
    if look.style == "pencil":
        # Graphite is grey and takes a fixed amount off the paper, slightly bluish and shiny.
        out = bg - c * look.pencil_depth * np.array([1.0, 1.0, 0.96], np.float32)
    else:
        opacity = 0.97 if look.style != "marker" else 0.92
        out = bg * (1 - c * opacity * (1 - ink / 255.0))
    return photograph(out, look, rng)


def photograph(scene: np.ndarray, look: Look, rng: np.random.Generator, strength: float = 1.0) -> Image.Image:
    """Phone-camera capture of a lit scene float32 (H, W, 3) 0-255: light, white balance, blur, noise."""
    h, w = scene.shape[:2]
    scanned = look.fmt == "png"  # PNGs of paper come from scanner apps: flatter light, less noise
    light = fields.lighting((h, w), rng, strength=strength * (0.4 if scanned else 1.0),
                            shadow_prob=0.0 if scanned else 0.35)
    balance = np.array([1.0, 1.0, 1.0], np.float32) + rng.normal(0, 0.012, 3).astype(np.float32)
    out = scene * (light * look.exposure)[..., None] * balance
    img = Image.fromarray(np.clip(np.round(out), 0, 255).astype(np.uint8), "RGB")
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.6 if scanned else 1.0)))
    sigma = rng.uniform(0.8, 1.5) if scanned else rng.uniform(1.5, 4.5)
    noisy = np.asarray(img, np.float32) + sigma * fields.fine_noise((h, w), rng)[..., None]
    noisy += 0.5 * sigma * fields.fine_noise((h, w, 3), rng)
    if scanned:
        # Scanner apps "enhance" the page: levels stretched until the paper is white.  (This also
        # keeps these PNGs small: flat white compresses, paper grain does not.)
        white = np.percentile(noisy[::4, ::4], 60) * rng.uniform(0.93, 0.98)
        noisy = noisy * (255.0 / max(white, 1.0))
    return Image.fromarray(np.clip(np.round(noisy), 0, 255).astype(np.uint8), "RGB")


def encode(img: Image.Image, look: Look, rng: np.random.Generator) -> bytes:
    """File bytes with fixed encoder settings and no metadata, so equal images give equal files."""
    buf = io.BytesIO()
    if look.fmt == "jpeg":
        img.convert("RGB").save(buf, "JPEG", quality=int(rng.integers(70, 93)), optimize=False)
    else:
        img.save(buf, "PNG", compress_level=6)
    return buf.getvalue()
