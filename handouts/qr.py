"""QR codes for consent pages: the payload that files a scanned page to the right record."""

from __future__ import annotations

import base64
import io

import segno


def page_payload(patient_id: str, form_id: str, version: str, page: int) -> str:
    """``HANDOUTS1|<patient id>|<form id>|<version>|p<page>``; ``|`` in an ID is escaped."""

    def clean(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|")

    return f"HANDOUTS1|{clean(patient_id)}|{clean(form_id)}|{clean(version)}|p{page}"


def png_data_url(payload: str, size_mm: float = 18.0) -> str:
    """The QR code as a 1-bit PNG ``data:`` URL, a whole number of pixels a module, about
    ``size_mm`` wide at CSS's 96 pixels an inch. A PDF draws an image far faster than an SVG
    of the same code; the stylesheet keeps the modules sharp (``image-rendering: pixelated``)."""
    code = segno.make(payload, error="m", micro=False, mask=2, boost_error=False)
    modules = code.symbol_size(scale=1, border=2)[0]
    scale = max(1, round(size_mm / 25.4 * 96 / modules))
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
