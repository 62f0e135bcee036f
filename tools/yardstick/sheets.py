"""Contact sheets: grids of thumbnails per (kind, style) for looking at a generated yardstick."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from PIL import Image, ImageDraw


def _thumb(path: Path, size: int) -> Image.Image:
    img = Image.open(path)
    if img.mode == "RGBA":
        # Show transparency as a grey checkerboard, so that white or black ink stays visible.
        board = Image.new("RGB", img.size, (150, 150, 150))
        d = ImageDraw.Draw(board)
        step = max(8, img.width // 16)
        for y in range(0, img.height, step):
            for x in range((y // step) % 2 * step, img.width, 2 * step):
                d.rectangle([x, y, x + step - 1, y + step - 1], fill=(120, 120, 120))
        board.paste(img, (0, 0), img)
        img = board
    img = img.convert("RGB")
    img.thumbnail((size, size))
    return img


def contact_sheets(out_dir: str | os.PathLike, table: pd.DataFrame, sheet_dir: str | os.PathLike,
                   per_sheet: int = 60, size: int = 150, boxes: bool = True) -> list[Path]:
    """Write one PNG per (kind, style) with up to per_sheet thumbnails and their labels; returns the paths."""
    out, sheets = Path(out_dir), Path(sheet_dir)
    sheets.mkdir(parents=True, exist_ok=True)
    written = []
    for (kind, style), group in table.groupby(["kind", "style"], sort=True):
        group = group.head(per_sheet)
        cols = 10
        rows = (len(group) + cols - 1) // cols
        sheet = Image.new("RGB", (cols * (size + 4), rows * (size + 18)), (255, 255, 255))
        d = ImageDraw.Draw(sheet)
        for k, (_, r) in enumerate(group.iterrows()):
            thumb = _thumb(out / r["file"], size)
            x, y = (k % cols) * (size + 4), (k // cols) * (size + 18)
            sheet.paste(thumb, (x, y))
            if boxes and isinstance(r["boxes"], list):
                f = thumb.width / r["width"]
                for b in r["boxes"]:
                    d.rectangle([x + b[0] * f, y + b[1] * f, x + b[2] * f, y + b[3] * f], outline=(255, 0, 160))
            text = f"{r['label'] or '-'} {r['variant']}"[:26]
            d.text((x, y + size + 2), text, fill=(0, 0, 0))
        path = sheets / f"{kind}_{style}.png"
        sheet.save(path)
        written.append(path)
    return written
