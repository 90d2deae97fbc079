"""Inputs nobody here wrote: each gives a clear error and exit code, never a traceback, and
never writes a file. Found by adversarial testing; kept so they stay fixed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli import cli

REPO_ROOT = Path(__file__).resolve().parents[1]
GOOD = """\
id: H-1
name: {given: Ann, family: Lee}
date_of_birth: 1980-01-02
appointment: {start: 2026-12-01T10:00, practitioner: P, location: L}
treatments: [exercise-programmes]
first_visit: false
"""
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n"
    for i in range(6)
)


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ALIAS_BOMB, "values (YAML aliases expanding?)"),
        ("a: " + "[" * 2000 + "]" * 2000 + "\n", "nested"),
        (GOOD.replace("H-1", '"P-\\u202e321"'), "invisible direction control U+202E"),
        (GOOD.replace("given: Ann", 'given: "A\\0nn"'), "control character U+0000"),
        (GOOD.replace("2026-12-01T10:00", "9999-12-31T23:59:59-12:00"), "not a plausible"),
        (GOOD + "special_requirements: " + "x" * 400 + "\n", "at most 160 characters"),
    ],
    ids=["alias-bomb", "deep", "bidi-id", "nul-name", "far-future", "long-requirements"],
)
def test_hostile_patient_files(tmp_path: Path, text: str, message: str) -> None:
    patient = tmp_path / "p.yaml"
    patient.write_text(text, encoding="utf-8")
    code, output = run("packet", patient, "-o", tmp_path / "o.pdf", "--kit", REPO_ROOT)
    assert code == 2
    assert message in output
    assert not (tmp_path / "o.pdf").exists()


def kit_copy(tmp_path: Path) -> Path:
    kit = tmp_path / "kit"
    kit.mkdir()
    shutil.copy(REPO_ROOT / "clinic.yaml", kit / "clinic.yaml")
    shutil.copytree(REPO_ROOT / "assets", kit / "assets")
    (kit / "templates").mkdir()
    return kit


def test_template_cannot_reach_python_internals(tmp_path: Path) -> None:
    kit = kit_copy(tmp_path)
    (kit / "templates" / "leaflet.html.j2").write_text(
        '{{ cycler.__init__.__globals__.os.popen("id").read() }}', encoding="utf-8"
    )
    code, output = run("render", "dry-needling/leaflet", "-o", tmp_path / "o.pdf", "--kit", kit)
    assert code == 1
    assert "unsafe" in output
    assert not (tmp_path / "o.pdf").exists()


def test_template_symlink_out_of_the_kit_is_refused(tmp_path: Path) -> None:
    kit = kit_copy(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not print me", encoding="utf-8")
    (kit / "templates" / "secret.j2").symlink_to(secret)
    (kit / "templates" / "leaflet.html.j2").write_text(
        '{% include "secret.j2" %}', encoding="utf-8"
    )
    code, output = run("render", "dry-needling/leaflet", "-o", tmp_path / "o.pdf", "--kit", kit)
    assert code == 1
    assert "refused: it points outside" in output


def test_fake_font_and_logo_files_are_named(tmp_path: Path) -> None:
    kit = kit_copy(tmp_path)
    (kit / "assets" / "logo.svg").write_text("just text", encoding="utf-8")
    code, output = run("list", "--kit", kit)
    assert code == 2
    assert "clinic.yaml:" in output and "logo.file: logo.svg is not an SVG, PNG or JPEG" in output


def test_batch_row_problems_never_stop_the_batch(tmp_path: Path) -> None:
    header = (
        "patient_id,given_name,family_name,date_of_birth,email,language,appointment_start,"
        "practitioner,location,treatments,first_visit"
    )
    good = "B-1,Ann,Lee,1980-01-02,,en,2026-12-01T10:00,P,L,exercise-programmes,false"
    far = good.replace("B-1", "B-2").replace("2026-12-01T10:00", "9999-12-31T23:59:59-12:00")
    source = tmp_path / "in.csv"
    source.write_text("\n".join([header, good, far, 'B-3,"Ann,Lee']) + "\n", encoding="utf-8")
    code, output = run("batch", source, "--out", tmp_path / "out", "--kit", REPO_ROOT, "-j", "1")
    assert code == 1
    assert "row 2 (line 3): appointment_start:" in output
    assert "a quote opened here is never closed" in output
    assert [p.name for p in (tmp_path / "out").glob("*.pdf")] == ["2026-12-01_1000_B-1.pdf"]


def test_characters_no_font_has_are_refused_not_printed_as_boxes(tmp_path: Path) -> None:
    patient = tmp_path / "p.yaml"
    patient.write_text(GOOD.replace("given: Ann", "given: Ann 🦄"), encoding="utf-8")
    code, output = run("packet", patient, "-o", tmp_path / "o.pdf", "--kit", REPO_ROOT)
    assert code == 2
    assert "name.given: no font of the kit can print 🦄 (U+1F984)" in output
    assert not (tmp_path / "o.pdf").exists()


def test_missing_language_names_the_patient_line(tmp_path: Path) -> None:
    patient = tmp_path / "p.yaml"
    patient.write_text(GOOD + "language: xx\n", encoding="utf-8")
    code, output = run("packet", patient, "-o", tmp_path / "o.pdf", "--kit", REPO_ROOT)
    assert code == 2
    assert "p.yaml:7: language: the packet needs every document in 'xx'" in output
