"""--pdf-variant: the archive copy (PDF/A-3u) and PDF/UA-1 keep everything a packet has."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from handouts.cli import cli

REPO_ROOT = Path(__file__).resolve().parents[1]
PATIENT = """\
id: V-1
name: {given: Ana, family: Silva}
date_of_birth: 1990-01-02
appointment: {start: 2026-12-01T10:00, practitioner: Sam Okafor, location: Room 2}
treatments: [exercise-programmes]
first_visit: false
"""


@pytest.mark.parametrize(
    ("variant", "marker"),
    [("pdf/a-3u", b'pdfaid:part="3" pdfaid:conformance="U"'), ("pdf/ua-1", b'pdfuaid:part="1"')],
)
def test_variant_metadata_and_tags(tmp_path: Path, variant: str, marker: bytes) -> None:
    patient = tmp_path / "p.yaml"
    patient.write_text(PATIENT, encoding="utf-8")
    out = tmp_path / "o.pdf"
    result = CliRunner().invoke(
        cli, ["packet", str(patient), "-o", str(out), "--kit", str(REPO_ROOT),
              "--pdf-variant", variant],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    root = PdfReader(out).trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data()
    assert marker in xmp
    assert "/StructTreeRoot" in root and root["/Lang"] == "en"
    if variant.startswith("pdf/a"):
        assert "/OutputIntents" in root
