"""Yardstick: an evaluation set of handwritten-looking digits that are NOT from MNIST.

Used only to measure a recogniser on what people really send (their own digit, drawn in an
app or photographed on paper); never train on it.  Five sections:

  A  single digits from hand-designed pen-stroke templates and handwriting fonts;
  B  pictures that are not one digit (letters, shapes, scribbles, textures, smudges, blank
     paper) plus short 2-4 digit numbers;
  C  numbers of 2-8 digits in four layouts, with a box per digit;

each in six capture styles (capture.STYLES);

  D  photo-style pictures of A, C and B laid on a desk, the desk in the photo (desk.py);
  E  photo-style pictures of A, C and B on plain paper with a ruled or squared sheet's lines laid
     under the writing, turned a few degrees (ruled.py).  Generate with
``python -m tools.yardstick --out build/yardstick [--seed 0] [--tiny]`` or generate() below;
labels.csv is described in make.COLUMNS and the README-style notes of make.py.
"""

from .capture import STYLES
from .fonts import APT_LINE, FONT_PACKAGES, installed_fonts, missing_packages
from .make import COLUMNS, SECTIONS, TINY_COUNTS, generate, read_labels

__all__ = ["APT_LINE", "COLUMNS", "FONT_PACKAGES", "SECTIONS", "STYLES", "TINY_COUNTS", "generate",
           "installed_fonts", "missing_packages", "read_labels"]
