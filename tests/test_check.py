"""Tests of `handouts check` (handouts.check) and the WCAG colour arithmetic (handouts.colour).

A full check renders every document of a kit (several seconds), so the shipped kit and the
deliberately broken kit are each checked once, through the command line, and the tests read
the JSON report; the rest are fast unit tests.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.check import (
    CheckReport,
    _cross_reference_problems,
    measure_document,
    review_status,
)
from handouts.cli import cli
from handouts.colour import contrast_ratio, parse_hex, relative_luminance
from handouts.config import load_kit
from handouts.content import discover, load_document
from handouts.errors import Problem
from handouts.library import Library

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "check"
KIT_PARTS = ("content", "templates", "styles", "assets")


def run_check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.output


def copy_kit(target: Path) -> Path:
    """A kit folder holding copies of the repository's clinic.yaml, content, templates..."""
    target.mkdir()
    shutil.copy(REPO / "clinic.yaml", target / "clinic.yaml")
    for part in KIT_PARTS:
        shutil.copytree(REPO / part, target / part)
    return target


def edit(path: Path, pattern: str, replacement: str) -> None:
    text, count = re.subn(pattern, replacement, path.read_text(encoding="utf-8"), flags=re.M)
    assert count == 1, f"{pattern!r} not found once in {path}"
    path.write_text(text, encoding="utf-8")


@pytest.fixture(autouse=True)
def _no_kit_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HANDOUTS_KIT", raising=False)


# -- colour --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#fff", "#000", 21.0),  # order and short form do not matter
        ("#777777", "#ffffff", 4.478),  # the classic "just fails AA" grey
        ("#1f5f8b", "#1f5f8b", 1.0),
        ("#767676", "#ffffff", 4.542),  # the lightest grey that passes AA on white
    ],
)
def test_contrast_ratio_matches_known_wcag_values(first: str, second: str, ratio: float) -> None:
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.001)


def test_relative_luminance_runs_from_black_to_white() -> None:
    assert relative_luminance("#000") == 0.0
    assert relative_luminance("#FFFFFF") == pytest.approx(1.0)
    assert relative_luminance("#808080") == pytest.approx(0.2159, abs=0.0001)
    assert parse_hex("#1F5F8B") == (31, 95, 139)


def test_a_colour_that_is_not_hex_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'red' is not a hex colour"):
        relative_luminance("red")


# -- report logic --------------------------------------------------------------------------


def test_exit_codes_follow_severity_and_strict() -> None:
    warning = Problem("content/x/leaflet.yaml", "review was due", 7, "next_review", "warning")
    note = Problem("content/x/leaflet.yaml", "review is due soon", 7, "next_review", "note")
    error = Problem("clinic.yaml", "low contrast", 9, "colours.text", "error")
    assert CheckReport(()).exit_code() == 0
    assert CheckReport((note, warning)).exit_code() == 0
    assert CheckReport((note,)).exit_code(strict=True) == 0
    assert CheckReport((note, warning)).exit_code(strict=True) == 1
    assert CheckReport((error,)).exit_code() == 1
    assert CheckReport((error,), loaded=False).exit_code() == 2
    assert CheckReport((warning, note)).as_dict(strict=True)["ok"] is False


def test_review_status_flags_overdue_and_the_next_60_days() -> None:
    today = dt.date(2026, 11, 27)
    assert review_status(dt.date(2026, 11, 26), today) == "overdue"
    assert review_status(today, today) == "due soon"
    assert review_status(today + dt.timedelta(days=60), today) == "due soon"
    assert review_status(today + dt.timedelta(days=61), today) == "ok"


def test_a_translation_is_not_graded_with_english_formulas() -> None:
    doc = load_document(DATA / "aftercare.cy.yaml", "dry-needling", "aftercare")
    result = measure_document(doc, 8.0, dt.date(2026, 11, 27))
    assert (result.smog, result.fk, result.within_target) == (None, None, None)
    assert result.as_dict()["language"] == "cy"


def test_cross_references_need_a_leaflet_and_aftercare_beside_a_consent_form(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    for topic, kinds in {"needling": ("leaflet", "consent"), "first-visit": ("leaflet", "consent"),
                         "stretching": ("aftercare",)}.items():  # fmt: skip
        (content / topic).mkdir(parents=True)
        source = REPO / "content" / ("first-visit" if topic == "first-visit" else "dry-needling")
        for kind in kinds:
            shutil.copy(source / f"{kind}.yaml", content / topic / f"{kind}.yaml")
    kit = load_kit(REPO)
    problems = _cross_reference_problems(kit, Library(discover([content])))
    assert [(Path(p.file).name, p.message, p.hint) for p in problems] == [
        ("needling", "'needling' has no aftercare (it has a consent form)",
         "add needling/aftercare.yaml"),
        ("stretching", "'stretching' has no leaflet (every topic needs one)",
         "add stretching/leaflet.yaml"),
    ]  # fmt: skip
    assert {p.severity for p in problems} == {"error"}


# -- the shipped kit -----------------------------------------------------------------------


def test_shipped_kit_passes_with_every_document_within_target() -> None:
    code, output = run_check("--kit", str(REPO), "--json")
    report = json.loads(output)
    assert [p for p in report["problems"] if p["severity"] != "note"] == []
    assert (code, report["ok"], report["errors"], report["warnings"]) == (0, True, 0, 0)
    docs = {(d["id"], d["language"]): d for d in report["documents"]}
    shipped = {
        (f"{p.parent.name}/{p.stem}", "en") for p in (REPO / "content").glob("*/*.yaml")
        if "." not in p.stem
    }  # fmt: skip
    assert shipped <= docs.keys()
    for kind in ("leaflet", "consent", "aftercare"):
        assert (f"dry-needling/{kind}", "en") in docs
    for doc in docs.values():
        assert doc["within_target"] is not False, doc
        if doc["language"] == "en":
            assert doc["smog"] <= doc["target"] == 8.0
            assert doc["fk"] < doc["smog"]  # FK reads lower than SMOG on the same text
            assert doc["review_status"] == "ok"
            assert len(doc["hardest_sections"]) == min(3, len(doc["hardest_sections"]))


def test_list_json_shows_reading_grade_and_review_status() -> None:
    result = CliRunner().invoke(cli, ["list", "--kit", str(REPO), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    ids = {row["id"] for row in rows}
    assert {"dry-needling/leaflet", "dry-needling/consent", "dry-needling/aftercare"} <= ids
    for row in rows:
        assert row["review_status"] in ("ok", "due soon", "overdue")
        assert isinstance(row["smog"], float) and isinstance(row["fk"], float)
        assert row["grade_ok"] is (row["smog"] <= row["target"])


# -- broken kits ---------------------------------------------------------------------------


def test_broken_kit_gives_one_message_per_problem_each_naming_its_file(tmp_path: Path) -> None:
    kit = copy_kit(tmp_path / "kit")
    edit(kit / "clinic.yaml", r"^(\s*on_primary:).*$", r'\1 "#1f5f8b"')  # = primary
    aftercare = kit / "content" / "dry-needling" / "aftercare.yaml"
    edit(aftercare, r"^published:.*$", "published: 2020-01-01")
    edit(aftercare, r"^next_review:.*$", "next_review: 2023-01-01")
    for template in DATA.glob("*.html.j2"):
        shutil.copy(template, kit / "templates" / template.name)
    shutil.copy(DATA / "clinic.css", kit / "styles" / "clinic.css")
    (kit / "content" / "unreadable-topic").mkdir()
    unreadable = kit / "content" / "unreadable-topic" / "leaflet.yaml"
    shutil.copy(DATA / "unreadable-leaflet.yaml", unreadable)
    shutil.copy(DATA / "aftercare.cy.yaml", unreadable.parent / "aftercare.cy.yaml")  # no original

    code, output = run_check("--kit", str(kit), "--json")
    report = json.loads(output)
    found = {(Path(p["file"]).relative_to(kit).as_posix(), p["key"], p["severity"]): p
             for p in report["problems"]}  # fmt: skip
    assert sorted(found) == sorted([
        ("clinic.yaml", "colours.on_primary", "error"),
        ("styles/clinic.css", "font-size", "error"),
        ("content/dry-needling/aftercare.yaml", "next_review", "warning"),
        ("templates/consent-dry-needling.html.j2", "", "error"),
        ("templates/leaflet-manual-therapy.html.j2", "img", "error"),
        ("templates/leaflet-dry-needlin.html.j2", "", "warning"),
        ("content/unreadable-topic/leaflet.yaml", "sections[0]", "warning"),
        ("content/unreadable-topic/leaflet.yaml", "summary", "error"),
        ("content/unreadable-topic/aftercare.cy.yaml", "", "error"),
        ("content/unreadable-topic/aftercare.cy.yaml", "language", "note"),
        # the Welsh sheet has no Welsh templates: never a silent fallback to English ones
        ("templates/aftercare-unreadable-topic.cy.html.j2", "", "error"),
    ])  # fmt: skip
    assert len(report["problems"]) == len(found)  # one message per problem
    counts = (report["errors"], report["warnings"], report["notes"])
    assert (code, report["ok"], counts) == (1, False, (7, 3, 1))

    colour = found["clinic.yaml", "colours.on_primary", "error"]
    assert colour["line"] == 11
    assert "#1f5f8b on #1f5f8b has contrast 1.00:1" in colour["message"]
    assert "4.5:1" in colour["hint"]
    assert found["styles/clinic.css", "font-size", "error"]["line"] == 3
    review = found["content/dry-needling/aftercare.yaml", "next_review", "warning"]
    assert review["message"] == "review was due on 2023-01-01"
    template = found["templates/consent-dry-needling.html.j2", "", "error"]
    assert template["message"].startswith(
        "template not found: consent-base-that-does-not-exist.html.j2 in "
    )
    assert template["line"] == 2 and "dry-needling/consent (en)" in template["hint"]
    reading = found["content/unreadable-topic/leaflet.yaml", "sections[0]", "warning"]
    assert re.search(r"SMOG (\d+\.\d) is above the target 8 \(Flesch-Kincaid \d+\.\d\)",
                     reading["message"])  # fmt: skip
    assert "hardest: 'Physiological considerations'" in reading["message"]
    assert "Short words" not in reading["message"]
    placeholder = found["content/unreadable-topic/leaflet.yaml", "summary", "error"]
    assert placeholder["message"] == "unknown placeholder '{clinic_fone}'"
    assert placeholder["hint"].startswith("did you mean '{clinic_phone}'?")
    orphan = found["content/unreadable-topic/aftercare.cy.yaml", "", "error"]
    assert orphan["message"] == (
        "'cy' translation of 'unreadable-topic/aftercare', which does not exist"
    )
    typo = found["templates/leaflet-dry-needlin.html.j2", "", "warning"]
    assert typo["hint"] == "did you mean 'leaflet-dry-needling.html.j2'?"
    graded = {d["id"]: d for d in report["documents"]}["unreadable-topic/leaflet"]
    assert graded["within_target"] is False and graded["smog"] > 8
    assert graded["hardest_sections"][0]["section"] == "Physiological considerations"


def test_a_bad_config_key_stops_the_check_with_a_hint(tmp_path: Path) -> None:
    kit = copy_kit(tmp_path / "kit")
    edit(kit / "clinic.yaml", r"^colours:", "colors:")
    aftercare = kit / "content" / "dry-needling" / "aftercare.yaml"
    edit(aftercare, r"^next_review:.*$", "next_review: 2021-01-01")  # not reached

    code, output = run_check("--kit", str(kit))
    lines = output.splitlines()
    assert code == 2
    assert len(lines) == 2, output  # nothing past the config is checked
    assert re.fullmatch(
        r"error: \S*clinic\.yaml:8: colors: unknown key \(did you mean 'colours'\?\)", lines[0]
    )
    assert lines[1] == "check kit not loaded: 0 documents; 1 error(s), 0 warning(s), 0 note(s)"

    code, output = run_check("--kit", str(kit), "--json")
    report = json.loads(output)
    assert (code, report["ok"], report["errors"], report["documents"]) == (2, False, 1, [])
    assert report["problems"][0]["hint"] == "did you mean 'colours'?"


def test_a_missing_kit_folder_cannot_load(tmp_path: Path) -> None:
    code, output = run_check("--kit", str(tmp_path / "nowhere"))
    assert code == 2
    assert "kit folder not found" in output
