"""Colour arithmetic for the accessibility check: WCAG 2.x relative luminance and contrast.

Formulas from WCAG 2.2, "relative luminance" and "contrast ratio" definitions: sRGB channels
are linearised (the 0.04045 threshold of IEC 61966-2-1), weighted 0.2126 R + 0.7152 G +
0.0722 B, and the ratio is (L1 + 0.05) / (L2 + 0.05) with L1 the lighter colour.
"""

from __future__ import annotations

import re

# WCAG AA minimum contrast ratios.
AA_BODY = 4.5
AA_LARGE = 3.0  # 18 pt, or 14 pt bold, and larger

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse_hex(colour: str) -> tuple[int, int, int]:
    """``#rgb`` or ``#rrggbb`` as (r, g, b) in 0..255; ValueError for anything else."""
    if not _HEX.match(colour):
        raise ValueError(f"'{colour}' is not a hex colour such as #1a1a1a")
    digits = colour[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return r, g, b


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of a hex colour: 0.0 for black, 1.0 for white."""
    r, g, b = (_linear(c) for c in parse_hex(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two hex colours, from 1.0 (same) to 21.0 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
