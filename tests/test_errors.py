"""Bad input and unsafe output (issue 2): messages that name file, line, key and what is
allowed; exit code 2 for input errors and 1 for render failures; never a traceback; no
output file left behind.

Each test writes its own small files into ``tmp_path`` and runs the Click group through
``CliRunner``. Only the last tests render anything, and only a cover letter.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import CONTENT, DIMITRIOS, FIRST_VISIT_TOPIC, REPO_ROOT

from handouts.cli import cli, main
from handouts.output import RESERVED, safe_name

# A valid patient, every line known: tests change one line and expect that line in the error.
PATIENT = """\
id: P-000999
name:
  given: Zoë
  family: Łukasiewicz-Ó Briain
date_of_birth: 1984-03-09
language: en
appointment:
  start: 2026-12-01T09:30:00+00:00
  practitioner: Sam Okafor, Physiotherapist
  location: Harbourside Physiotherapy, room 2
treatments: [dry-needling]
first_visit: true
"""


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def edited(old: str, new: str, text: str = PATIENT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_failed_cleanly(result: Result, out: Path, exit_code: int) -> None:
    """The user sees a message and an exit code: no traceback, no PDF, no temporary file."""
    # An exception other than SystemExit is one Click did not handle: a traceback for users.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ")
    assert not out.exists()
    if out.parent.exists():
        assert list(out.parent.iterdir()) == []


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "output" / "packet.pdf"


def packet_error(
    tmp_path: Path, out: Path, text: str, name: str = "patient.yaml"
) -> tuple[Path, str]:
    """Run ``handouts packet`` on a patient file with ``text``; expect an input error."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = invoke("packet", path, "-o", out)
    assert_failed_cleanly(result, out, exit_code=2)
    return path, result.output


def test_the_base_patient_is_valid(tmp_path: Path) -> None:
    # Guard for every test below: the unedited patient passes validation.
    from handouts.patient import load_patient

    path = tmp_path / "patient.yaml"
    path.write_text(PATIENT, encoding="utf-8")
    assert load_patient(path).id == "P-000999"


# --- the patient file -----------------------------------------------------------------------


def test_invalid_yaml_names_file_and_line(tmp_path: Path, out: Path) -> None:
    text = edited("  given: Zoë", "  given: Zoë: Z")
    path, output = packet_error(tmp_path, out, text)
    assert f"{path}:{line_of(text, 'given: Zoë: Z')}: not valid YAML" in output


def test_top_level_must_be_a_mapping(tmp_path: Path, out: Path) -> None:
    path, output = packet_error(tmp_path, out, "- just\n- a list\n")
    assert f"{path}:1: the top level must be a mapping" in output


def test_missing_field_names_the_dotted_key(tmp_path: Path, out: Path) -> None:
    text = edited("  start: 2026-12-01T09:30:00+00:00\n", "")
    path, output = packet_error(tmp_path, out, text)
    assert (
        f"{path}:{line_of(text, 'appointment:')}: appointment.start: required but missing" in output
    )


def test_misspelled_field_is_unknown_with_a_hint(tmp_path: Path, out: Path) -> None:
    text = edited("date_of_birth:", "date_of_brith:")
    path, output = packet_error(tmp_path, out, text)
    line = line_of(text, "date_of_brith")
    assert f"{path}:{line}: date_of_brith: unknown key (did you mean 'date_of_birth'?)" in output
    # All problems of the file at once: the real key is now missing too.
    assert "date_of_birth: required but missing" in output
    assert "2 problems found" in output


def test_misspelled_nested_field(tmp_path: Path, out: Path) -> None:
    text = edited("  practitioner:", "  practitionr:")
    path, output = packet_error(tmp_path, out, text)
    line = line_of(text, "practitionr")
    assert (
        f"{path}:{line}: appointment.practitionr: unknown key (did you mean 'practitioner'?)"
        in output
    )


def treatment_topics() -> list[str]:
    """Topics a patient can be booked for: every content topic but the first-visit pack."""
    return sorted(
        p.name
        for p in CONTENT.iterdir()
        if p.is_dir() and p.name != FIRST_VISIT_TOPIC and any(p.glob("*.yaml"))
    )


def test_unknown_treatment_lists_the_allowed_topics(tmp_path: Path, out: Path) -> None:
    text = edited("[dry-needling]", "[dry-needle]")
    _, output = packet_error(tmp_path, out, text)
    assert "treatments[0]: unknown treatment 'dry-needle'" in output
    assert "did you mean 'dry-needling'?" in output
    allowed = re.search(r"allowed: ([a-z0-9, -]+)", output)
    assert allowed, output
    assert allowed.group(1).split(", ") == treatment_topics()
    assert FIRST_VISIT_TOPIC not in allowed.group(1).split(", ")


def test_unknown_treatment_names_the_file_and_line(tmp_path: Path, out: Path) -> None:
    # Issue 2: "an unknown treatment ...: a message naming the file, the line where possible".
    text = edited("[dry-needling]", "[dry-needle]")
    path, output = packet_error(tmp_path, out, text)
    assert f"{path}:{line_of(text, 'treatments:')}: treatments[0]: unknown treatment" in output


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("'1984-13-45'", "'1984-13-45' is not a date in the form YYYY-MM-DD"),
        ("09/03/1984", "'09/03/1984' is not a date in the form YYYY-MM-DD"),
        ("2999-01-01", "2999-01-01 is not a plausible date of birth"),
    ],
)
def test_bad_date_of_birth(tmp_path: Path, out: Path, value: str, message: str) -> None:
    text = edited("date_of_birth: 1984-03-09", f"date_of_birth: {value}")
    path, output = packet_error(tmp_path, out, text)
    assert f"{path}:{line_of(text, 'date_of_birth')}: date_of_birth: {message}" in output


def test_impossible_unquoted_date_of_birth(tmp_path: Path, out: Path) -> None:
    # YAML reads an unquoted 1984-13-45 as a timestamp; building it must not escape as a
    # ValueError traceback.
    text = edited("date_of_birth: 1984-03-09", "date_of_birth: 1984-13-45")
    path, output = packet_error(tmp_path, out, text)
    assert f"{path}:{line_of(text, 'date_of_birth')}:" in output
    assert "date_of_birth" in output or "not valid YAML" in output


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-12-01T25:99", "'2026-12-01T25:99' is not an ISO 8601 date and time"),
        ("'next tuesday'", "'next tuesday' is not an ISO 8601 date and time"),
        ("2026-12-01", "needs a time as well as a date"),
    ],
)
def test_bad_appointment_time(tmp_path: Path, out: Path, value: str, message: str) -> None:
    text = edited("start: 2026-12-01T09:30:00+00:00", f"start: {value}")
    path, output = packet_error(tmp_path, out, text)
    assert f"{path}:{line_of(text, 'start:')}: appointment.start: {message}" in output


def test_json_syntax_error_names_the_line(tmp_path: Path, out: Path) -> None:
    text = DIMITRIOS.read_text(encoding="utf-8")
    text = edited('"language": "en",', "\"language\": 'en',", text)
    path, output = packet_error(tmp_path, out, text, name="patient.json")
    assert f"{path}:{line_of(text, 'language')}: not valid JSON" in output


def test_valid_json_patient_with_a_bad_field(tmp_path: Path, out: Path) -> None:
    data = json.loads(DIMITRIOS.read_text(encoding="utf-8"))
    data["appointment"]["start"] = "soon"
    text = json.dumps(data, ensure_ascii=False, indent=2)
    path, output = packet_error(tmp_path, out, text, name="patient.json")
    assert f"{path}:{line_of(text, 'soon')}: appointment.start: 'soon'" in output


def test_missing_patient_file(tmp_path: Path, out: Path) -> None:
    missing = tmp_path / "nobody.yaml"
    result = invoke("packet", missing, "-o", out)
    assert_failed_cleanly(result, out, exit_code=2)
    assert f"{missing}: file not found" in result.output


def test_unknown_document_id(tmp_path: Path, out: Path) -> None:
    result = invoke("render", "dry-needling/consnet", "-o", out)
    assert_failed_cleanly(result, out, exit_code=2)
    assert "unknown document 'dry-needling/consnet'" in result.output
    assert "did you mean 'dry-needling/consent'?" in result.output


def test_console_script_reports_without_traceback(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `handouts` runs main(), not Click's standalone mode: it must end the same way.
    path = tmp_path / "patient.yaml"
    path.write_text(edited("  start: 2026-12-01T09:30:00+00:00\n", ""), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["handouts", "packet", str(path), "-o", str(out)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert "appointment.start: required but missing" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()


# --- the output path -------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["packet.txt", "folder"])
def test_output_must_be_a_pdf_file(tmp_path: Path, target: str) -> None:
    (tmp_path / "folder").mkdir()
    patient = tmp_path / "patient.yaml"
    patient.write_text(PATIENT, encoding="utf-8")
    result = invoke("packet", patient, "-o", tmp_path / target)
    assert result.exit_code == 2, result.output  # a usage error, found before rendering
    assert "Traceback" not in result.output
    assert "is a folder" in result.output or "must end in .pdf" in result.output
    assert not (tmp_path / "packet.txt").exists()
    assert list((tmp_path / "folder").iterdir()) == []


UNSAFE_IDS = [
    "../../x",
    "",
    "con",
    "CON",
    "nul.pdf",
    "com1",
    "lpt9.txt",
    "a/b",
    "a\\b",
    "/etc/passwd",
    "..",
    ".",
    "...",
    ".hidden",
    "~/x",
    "C:\\Windows\\x",
    "x/../../y",
    "\x00",
    "Zoë Łukasiewicz",
    "a" * 300,
]


@pytest.mark.parametrize("text", UNSAFE_IDS)
def test_safe_name_is_never_a_path(text: str) -> None:
    name = safe_name(text)
    assert name
    assert "/" not in name and "\\" not in name and os.sep not in name
    assert not name.startswith(".")
    assert ".." not in name
    assert name.split(".")[0].lower() not in RESERVED
    assert re.fullmatch(r"[A-Za-z0-9._-]+", name), name
    assert len(name) <= 100
    assert Path(name).name == name


def test_safe_name_keeps_plain_ids_and_distinct_ids_distinct() -> None:
    assert safe_name("P-000123") == "P-000123"
    names = [safe_name(t) for t in UNSAFE_IDS]
    assert len(set(names)) == len(names)
    assert safe_name("a/b") != safe_name("a-b")


def test_packet_for_a_path_like_id_stays_in_the_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "clinic" / "work"
    work.mkdir(parents=True)
    # Only the cover letter: no treatments and not a first visit, so this renders quickly.
    text = edited("id: P-000999", 'id: "../../evil"')
    text = edited("treatments: [dry-needling]", "treatments: []", text)
    text = edited("first_visit: true", "first_visit: false", text)
    (work / "evil.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(work)
    result = invoke("packet", "evil.yaml", "--kit", REPO_ROOT)
    assert result.exit_code == 0, result.output
    written = sorted(tmp_path.rglob("*.pdf"))
    assert len(written) == 1, written
    assert written[0].parent == work / "output"
    assert ".." not in written[0].name and "evil" in written[0].name


# --- a broken kit ----------------------------------------------------------------------------


@pytest.fixture
def kit_copy(tmp_path: Path) -> Path:
    """A full copy of the default kit, to break one file of."""
    kit = tmp_path / "kit"
    kit.mkdir()
    shutil.copy(REPO_ROOT / "clinic.yaml", kit / "clinic.yaml")
    for folder in ("content", "templates", "styles", "assets"):
        shutil.copytree(REPO_ROOT / folder, kit / folder)
    return kit


@pytest.fixture
def small_kit(tmp_path: Path) -> Path:
    """A kit with only clinic.yaml and its logo: everything else comes from the default kit."""
    kit = tmp_path / "small-kit"
    (kit / "assets").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "clinic.yaml", kit / "clinic.yaml")
    shutil.copy(REPO_ROOT / "assets" / "logo.svg", kit / "assets" / "logo.svg")
    return kit


@pytest.fixture
def patient_file(tmp_path: Path) -> Path:
    path = tmp_path / "patient.yaml"
    path.write_text(PATIENT, encoding="utf-8")
    return path


def test_broken_content_names_file_line_key_and_allowed_values(
    kit_copy: Path, patient_file: Path, out: Path
) -> None:
    consent = kit_copy / "content" / "dry-needling" / "consent.yaml"
    text = consent.read_text(encoding="utf-8")
    risks_at = text.index("\nrisks:")
    first = text.index("frequency:", risks_at)
    end = text.index("\n", first)
    broken = text[:first] + "frequency: sometimes" + text[end:]
    consent.write_text(broken, encoding="utf-8")
    line = broken[:first].count("\n") + 1
    result = invoke("packet", patient_file, "-o", out, "--kit", kit_copy)
    assert_failed_cleanly(result, out, exit_code=2)
    assert f"{consent}:{line}: risks[0].frequency: 'sometimes'" in result.output
    for word in ("very common", "common", "uncommon", "rare", "very rare"):
        assert f"'{word}'" in result.output


def test_every_problem_of_a_content_file_is_reported(
    kit_copy: Path, patient_file: Path, out: Path
) -> None:
    consent = kit_copy / "content" / "dry-needling" / "consent.yaml"
    text = consent.read_text(encoding="utf-8")
    text = (
        text.replace("\ntitle:", "\ntitel:", 1)
        if "\ntitle:" in text
        else text.replace("title:", "titel:", 1)
    )
    text = text.replace("frequency: very common", "frequency: sometimes", 1)
    consent.write_text(text, encoding="utf-8")
    result = invoke("packet", patient_file, "-o", out, "--kit", kit_copy)
    assert_failed_cleanly(result, out, exit_code=2)
    assert "problems found" in result.output
    assert "titel: unknown key (did you mean 'title'?)" in result.output
    assert "risks[0].frequency" in result.output


def test_undefined_template_variable_fails_the_render(
    small_kit: Path, patient_file: Path, out: Path
) -> None:
    templates = small_kit / "templates"
    templates.mkdir()
    (templates / "letter.html.j2").write_text(
        '{% extends "builtin:letter.html.j2" %}\n'
        "{% block body %}\n"
        "<p>Dear {{ patient.nickname }},</p>\n"
        "{% endblock %}\n",
        encoding="utf-8",
    )
    result = invoke("packet", patient_file, "-o", out, "--kit", small_kit)
    assert_failed_cleanly(result, out, exit_code=1)
    assert f"{templates / 'letter.html.j2'}:3:" in result.output
    assert "nickname" in result.output


@pytest.mark.parametrize(
    ("where", "reference", "message"),
    [
        ("template", '<img src="file:///etc/passwd" alt="">', "/etc/passwd: it is outside the kit"),
        (
            "template",
            '<img src="../../../../../../../../etc/passwd" alt="">',
            "/etc/passwd: it is outside the kit",
        ),
        (
            "stylesheet",
            "body { background: url('/etc/hostname'); }",
            "/etc/hostname: it is outside the kit",
        ),
        (
            "stylesheet",
            "body { background: url('file:///etc/hostname'); }",
            "/etc/hostname: it is outside the kit",
        ),
        (
            "stylesheet",
            "body { background: url('http://example.invalid/x.png'); }",
            "only files inside the kit",
        ),
    ],
)
def test_kit_files_may_not_reach_outside_the_kit(
    small_kit: Path, patient_file: Path, out: Path, where: str, reference: str, message: str
) -> None:
    if where == "template":
        (small_kit / "templates").mkdir()
        (small_kit / "templates" / "letter.html.j2").write_text(
            '{% extends "builtin:letter.html.j2" %}\n'
            "{% block body %}\n"
            + reference
            + "\n<p>Dear {{ patient.given }},</p>\n{% endblock %}\n",
            encoding="utf-8",
        )
    else:
        (small_kit / "styles").mkdir()
        (small_kit / "styles" / "clinic.css").write_text(reference + "\n", encoding="utf-8")
    result = invoke("packet", patient_file, "-o", out, "--kit", small_kit)
    assert_failed_cleanly(result, out, exit_code=1)
    assert message in result.output
