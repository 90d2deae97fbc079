"""Names in any script print with real glyphs: the bundled fallback fonts are embedded and the
text layer reads back the same names (a missing glyph would extract as nothing or a box)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from handouts.api import build_packet

REPO_ROOT = Path(__file__).resolve().parents[1]
NAMES = {
    "given": "王秀英 김민준",
    "family": "محمد अनन्या สมชาย Δημήτριος Łukasiewicz",
}


@pytest.fixture(scope="module")
def intl_packet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scripts")
    patient = folder / "p.yaml"
    patient.write_text(
        f'id: "I-1"\nname: {{given: "{NAMES["given"]}", family: "{NAMES["family"]}"}}\n'
        "date_of_birth: 1970-01-01\n"
        'appointment: {start: "2026-12-01T09:00", practitioner: "佐藤 花子", location: "Room 2"}\n'
        "treatments: [exercise-programmes]\nfirst_visit: false\n",
        encoding="utf-8",
    )
    return build_packet(patient, folder / "out.pdf", kit=REPO_ROOT).path


def _font_names(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            names.add(str(font["/BaseFont"]).split("+", 1)[-1])
    return names


def test_fallback_fonts_are_embedded(intl_packet: Path) -> None:
    names = _font_names(PdfReader(intl_packet))
    for family in (
        "Droid-Sans-Fallback",
        "Nanum-Square",
        "Noto-Sans-Arabic",
        "Noto-Sans-Devanagari",
        "Noto-Sans-Thai",
        "DejaVu-Sans",
    ):
        assert any(n.startswith(family) for n in names), (family, names)


def test_cjk_and_hangul_names_read_back(intl_packet: Path) -> None:
    text = PdfReader(intl_packet).pages[0].extract_text()
    for word in ("王秀英", "김민준", "佐藤", "Δημήτριος", "Łukasiewicz"):
        assert word in text
    assert "Dear 王秀英 김민준," in text
