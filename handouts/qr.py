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


def svg_data_url(payload: str, size_mm: float = 18.0) -> str:
    """The QR code as an SVG ``data:`` URL of the given printed size."""
    # A fixed mask skips segno's mask evaluation (4x faster); every mask decodes the same.
    code = segno.make(payload, error="m", micro=False, mask=2, boost_error=False)
    modules = code.symbol_size(scale=1, border=2)[0]
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        scale=size_mm / modules,
        border=2,
        unit="mm",
        xmldecl=False,
        svgns=True,
        omitsize=False,
    )
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
