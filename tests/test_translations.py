"""One language per packet: a missing translation, or a missing template in the patient's
language, is an error listing every gap; with both present the packet is in that language."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from handouts.cli import cli

REPO_ROOT = Path(__file__).resolve().parents[1]
PATIENT = """\
id: F-1
name: {given: Amélie, family: Dubois}
date_of_birth: 1979-05-04
language: fr
appointment: {start: 2026-12-01T10:00, practitioner: Sam Okafor, location: Salle 2}
treatments: [exercise-programmes]
first_visit: false
"""


@pytest.fixture()
def french_kit(tmp_path: Path) -> Path:
    kit = tmp_path / "kit"
    kit.mkdir()
    shutil.copy(REPO_ROOT / "clinic.yaml", kit / "clinic.yaml")
    shutil.copytree(REPO_ROOT / "assets", kit / "assets")
    topic = kit / "content" / "exercise-programmes"
    topic.mkdir(parents=True)
    for kind in ("leaflet", "aftercare"):
        text = (REPO_ROOT / "content" / "exercise-programmes" / f"{kind}.yaml").read_text()
        text = text.replace("\nlanguage: en\n", "\nlanguage: fr\n")
        text = re.sub(r"^title: ", "title: FR ", text, count=1, flags=re.M)
        (topic / f"{kind}.fr.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "p.yaml").write_text(PATIENT, encoding="utf-8")
    return kit


def test_missing_translation_lists_every_document(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(PATIENT, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "packet",
            str(tmp_path / "p.yaml"),
            "-o",
            str(tmp_path / "o.pdf"),
            "--kit",
            str(REPO_ROOT),
        ],
    )
    assert result.exit_code == 2
    assert "'exercise-programmes/leaflet' has no 'fr' version" in result.output
    assert "'exercise-programmes/aftercare' has no 'fr' version" in result.output
    assert not (tmp_path / "o.pdf").exists()


def test_templates_in_the_clinic_language_are_not_used_for_another(french_kit: Path) -> None:
    out = french_kit.parent / "o.pdf"
    result = CliRunner().invoke(
        cli, ["packet", str(french_kit.parent / "p.yaml"), "-o", str(out), "--kit", str(french_kit)]
    )
    assert result.exit_code == 1
    assert "template not found: tried letter.fr.html.j2" in result.output
    assert not out.exists()


def test_french_packet_with_french_templates(french_kit: Path) -> None:
    templates = french_kit / "templates"
    templates.mkdir()
    for name in ("letter", "leaflet", "aftercare"):
        (templates / f"{name}.fr.html.j2").write_text(
            f'{{% extends "builtin:{name}.html.j2" %}}\n', encoding="utf-8"
        )
    out = french_kit.parent / "o.pdf"
    result = CliRunner().invoke(
        cli, ["packet", str(french_kit.parent / "p.yaml"), "-o", str(out), "--kit", str(french_kit)]
    )
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles[1].startswith("Information leaflet: FR ")


def test_regional_tag_takes_the_language_of_the_content(tmp_path: Path) -> None:
    """A patient recorded as en-GB gets the English documents; the PDF says en-GB."""
    patient = tmp_path / "p.yaml"
    patient.write_text(PATIENT.replace("language: fr", "language: en_GB"), encoding="utf-8")
    out = tmp_path / "o.pdf"
    result = CliRunner().invoke(
        cli, ["packet", str(patient), "-o", str(out), "--kit", str(REPO_ROOT)]
    )
    assert result.exit_code == 0, result.output
    assert PdfReader(out).trailer["/Root"]["/Lang"] == "en-GB"
