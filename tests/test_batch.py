"""Batch packets: input formats, date filter, manifest, exit codes, re-runs and a killed run.

Packets here are mostly returning patients booked for exercise programmes (letter, leaflet,
aftercare: the cheapest packet) so the suite stays fast; one first-visit dry needling row
proves a batch packet keeps everything a single packet has.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from handouts.api import build_packet
from handouts.batch import build_batch
from handouts.cli import cli
from handouts.config import load_kit

REPO_ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    "patient_id,given_name,family_name,date_of_birth,email,language,appointment_start,"
    "practitioner,location,treatments,first_visit"
)
ROWS = {
    "ok1": "B-001,Zoë,Łukasiewicz-Ó Briain,1984-03-09,zoe@example.org,en,2026-12-01T09:30:00,"
    "Sam Okafor,Room 2,exercise-programmes,false",
    "ok2": "B-002,Ольга,Иванова,1961-02-03,,en,2026-12-01T10:00:00,Priya Raman,Room 1,"
    "exercise-programmes,false",
    "consent": "B-003,Δημήτριος,Papadopoulos,1957-11-23,d@example.org,en,2026-12-01T11:15:00,"
    "Sam Okafor,Room 2,dry-needling,true",
    "bad_dob": "B-004,Bad,Date,1990-13-40,,en,2026-12-01T12:00:00,Sam Okafor,Room 2,"
    "exercise-programmes,false",
    "other_day": "B-005,Next,Day,1980-05-05,,en,2026-12-02T09:00:00,Sam Okafor,Room 2,"
    "exercise-programmes,false",
}


def kit_with(tmp_path: Path, extra_yaml: str) -> Path:
    """A copy of the default kit's config and assets with ``extra_yaml`` added to clinic.yaml."""
    kit = tmp_path / "kit"
    kit.mkdir()
    shutil.copytree(REPO_ROOT / "assets", kit / "assets")
    text = (REPO_ROOT / "clinic.yaml").read_text(encoding="utf-8")
    (kit / "clinic.yaml").write_text(text + extra_yaml, encoding="utf-8")
    return kit


def write_csv(path: Path, *keys: str, sep: str = ",", bom: bool = False) -> Path:
    lines = [HEADER] + [ROWS[k] for k in keys]
    text = "\n".join(lines) + "\n"
    if sep != ",":
        # only the header and unquoted cells use commas here
        text = text.replace(",", sep)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def as_records(*keys: str) -> list[dict[str, str]]:
    names = HEADER.split(",")
    return [dict(zip(names, ROWS[k].split(","), strict=True)) for k in keys]


@pytest.fixture(scope="module")
def main_batch(tmp_path_factory: pytest.TempPathFactory):
    """One batch with good rows, a bad row and a row on another day, filtered to 1 Dec."""
    folder = tmp_path_factory.mktemp("batch")
    source = write_csv(folder / "day.csv", "ok1", "ok2", "consent", "bad_dob", "other_day")
    result = build_batch(source, folder / "out", kit=REPO_ROOT, date=_date("2026-12-01"), jobs=2)
    return result, folder


def _date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def test_exit_code_one_when_a_row_fails(main_batch) -> None:
    result, _ = main_batch
    assert result.exit_code == 1
    assert (result.ok, result.failed) == (3, 1)


def test_date_filter_drops_other_days(main_batch) -> None:
    result, _ = main_batch
    ids = [e["patient_id"] for e in result.manifest["entries"]]
    assert "B-005" not in ids
    assert ids == ["B-001", "B-002", "B-003", "B-004"]


def test_bad_row_names_row_line_and_column(main_batch) -> None:
    result, _ = main_batch
    bad = result.manifest["entries"][3]
    assert bad["status"] == "error"
    assert bad["row"] == 4
    assert bad["path"] is None and bad["sha256"] is None
    assert bad["error"] == (
        "row 4 (line 5): date_of_birth: '1990-13-40' is not a date in the form YYYY-MM-DD"
    )


def test_manifest_entries_match_files(main_batch) -> None:
    result, folder = main_batch
    manifest = json.loads((folder / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == result.manifest
    run = manifest["run"]
    assert run["tool_version"] and run["kit"] == str(REPO_ROOT)
    assert run["started"] <= run["finished"]
    for entry in manifest["entries"][:3]:
        path = Path(entry["path"])
        assert path.parent == folder / "out"
        data = path.read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["pages"] == len(PdfReader(path).pages)
        assert entry["status"] == "ok" and entry["error"] is None
    first = manifest["entries"][0]
    assert Path(first["path"]).name == "2026-12-01_0930_B-001.pdf"
    assert first["email"] == "zoe@example.org"
    assert first["appointment_start"] == "2026-12-01T09:30:00"
    assert [{k: d[k] for k in ("id", "version", "language")} for d in first["documents"]] == [
        {"id": "exercise-programmes/leaflet", "version": "1.0", "language": "en"},
        {"id": "exercise-programmes/aftercare", "version": "1.0", "language": "en"},
    ]
    for doc in first["documents"]:  # the audit record pins the exact content printed
        topic, kind = doc["id"].split("/")
        content = (REPO_ROOT / "content" / topic / f"{kind}.yaml").read_bytes()
        assert doc["content_sha256"] == hashlib.sha256(content).hexdigest()
    consent_docs = [d["id"] for d in manifest["entries"][2]["documents"]]
    assert consent_docs == [
        "first-visit/leaflet",
        "dry-needling/leaflet",
        "first-visit/consent",
        "dry-needling/consent",
        "dry-needling/aftercare",
    ]


def test_batch_packet_is_the_single_packet(main_batch, tmp_path: Path) -> None:
    """Byte for byte what `handouts packet` makes: tags, bookmarks, identifiers and all."""
    result, _ = main_batch
    entry = result.manifest["entries"][2]
    patient = tmp_path / "p.yaml"
    patient.write_text(
        "id: B-003\nname: {given: Δημήτριος, family: Papadopoulos}\ndate_of_birth: 1957-11-23\n"
        "language: en\nemail: d@example.org\nappointment: {start: '2026-12-01T11:15:00', "
        "practitioner: Sam Okafor, location: Room 2}\ntreatments: [dry-needling]\n"
        "first_visit: true\n",
        encoding="utf-8",
    )
    single = build_packet(patient, tmp_path / "single.pdf", kit=REPO_ROOT)
    assert single.sha256 == entry["sha256"]
    reader = PdfReader(entry["path"])
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles[0] == "Cover letter"
    assert "Consent form: Consent to dry needling" in titles


def test_rerun_is_byte_identical(main_batch, tmp_path: Path) -> None:
    result, folder = main_batch
    again = build_batch(
        folder / "day.csv", tmp_path, kit=REPO_ROOT, date=_date("2026-12-01"), jobs=1
    )
    first = {e["patient_id"]: e["sha256"] for e in result.manifest["entries"]}
    second = {e["patient_id"]: e["sha256"] for e in again.manifest["entries"]}
    assert first == second


def test_semicolon_csv_with_bom(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", "ok1", sep=";", bom=True)
    result = build_batch(source, tmp_path / "out", kit=REPO_ROOT, jobs=1)
    assert result.exit_code == 0
    assert result.manifest["entries"][0]["patient_id"] == "B-001"


def test_json_array_and_json_lines(tmp_path: Path) -> None:
    records = as_records("ok2")
    array = tmp_path / "in.json"
    array.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    lines = tmp_path / "in.jsonl"
    lines.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    a = build_batch(array, tmp_path / "a", kit=REPO_ROOT, jobs=1)
    b = build_batch(lines, tmp_path / "b", kit=REPO_ROOT, jobs=1)
    assert a.exit_code == b.exit_code == 0
    assert a.manifest["entries"][0]["sha256"] == b.manifest["entries"][0]["sha256"]
    assert b.manifest["entries"][0]["line"] == 1


def test_stdin_json_output_parses(tmp_path: Path) -> None:
    text = "\n".join([HEADER, ROWS["ok2"], ROWS["bad_dob"]]) + "\n"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["batch", "-", "--kit", str(REPO_ROOT), "--out", str(tmp_path), "--json", "-j", "1"],
        input=text,
    )
    assert result.exit_code == 1
    manifest = json.loads(result.stdout)
    assert [e["status"] for e in manifest["entries"]] == ["ok", "error"]
    assert manifest["run"]["input"] == "<stdin>"


def test_exit_code_two_when_nothing_can_run(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["batch", str(tmp_path / "nope.csv"), "--kit", str(REPO_ROOT)])
    assert missing.exit_code == 2
    assert "nope.csv: file not found" in missing.output
    broken = tmp_path / "broken.json"
    broken.write_text('[{"patient_id": 1,\n', encoding="utf-8")
    bad_json = runner.invoke(cli, ["batch", str(broken), "--kit", str(REPO_ROOT)])
    assert bad_json.exit_code == 2
    assert "broken.json:2: not valid JSON" in bad_json.output
    bad_date = runner.invoke(cli, ["batch", str(broken), "--date", "tomorrow"])
    assert bad_date.exit_code == 2
    assert "Traceback" not in missing.output + bad_json.output + bad_date.output


def test_unknown_treatment_and_duplicate_rows(tmp_path: Path) -> None:
    unknown = ROWS["ok2"].replace("exercise-programmes", "acupunture")
    source = tmp_path / "in.csv"
    source.write_text(
        "\n".join([HEADER, ROWS["ok2"], unknown.replace("B-002", "B-009"), ROWS["ok2"]])
    )
    result = build_batch(source, tmp_path / "out", kit=REPO_ROOT, jobs=1)
    errors = [e["error"] for e in result.manifest["entries"]]
    assert errors[0] is None
    assert errors[1].startswith("row 2 (line 3): treatments: unknown treatment 'acupunture'")
    assert "allowed: dry-needling" in errors[1]
    assert errors[2] == (
        "row 3 (line 4): patient_id: duplicate of row 1 (same patient and appointment time)"
    )
    assert result.exit_code == 1


def test_columns_renamed_in_clinic_yaml(tmp_path: Path) -> None:
    kit = kit_with(tmp_path, 'columns:\n  patient_id: "MRN"\n  given_name: "First Name"\n')
    source = tmp_path / "export.csv"
    header = HEADER.replace("patient_id", "MRN").replace("given_name", "First Name")
    source.write_text(header + "\n" + ROWS["ok2"] + "\n", encoding="utf-8")
    result = build_batch(source, tmp_path / "out", kit=kit, jobs=1)
    assert result.exit_code == 0, result.manifest
    assert result.manifest["entries"][0]["patient_id"] == "B-002"
    assert load_kit(kit).clinic.columns == {"patient_id": "MRN", "given_name": "First Name"}


def test_killed_run_leaves_no_partial_pdf(tmp_path: Path) -> None:
    rows = [
        ROWS["ok2"]
        .replace("B-002", f"K-{i:03d}")
        .replace("10:00", f"{8 + i // 6:02d}:{(i % 6) * 10:02d}")
        for i in range(8)
    ]
    source = tmp_path / "many.csv"
    source.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    old_manifest = b'{"old": true}\n'
    (out / "manifest.json").write_bytes(old_manifest)
    handouts = Path(sys.executable).with_name("handouts")
    proc = subprocess.Popen(
        [
            str(handouts),
            "batch",
            str(source),
            "--kit",
            str(REPO_ROOT),
            "--out",
            str(out),
            "-j",
            "2",
            "--json",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("*.pdf"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    pdfs = list(out.glob("*.pdf"))
    assert 2 <= len(pdfs) < 8
    for pdf in pdfs:
        assert len(PdfReader(pdf).pages) > 0  # complete files only
    manifest = (out / "manifest.json").read_bytes()
    assert manifest == old_manifest or json.loads(manifest)["run"]
    # a re-run cleans any temporary file the kill left and completes
    result = build_batch(source, out, kit=REPO_ROOT, jobs=2)
    assert result.exit_code == 0
    assert not list(out.glob(".*.part"))
    assert len(list(out.glob("*.pdf"))) == 8


def test_every_problem_of_a_row_is_named(tmp_path: Path) -> None:
    """An export from another system: semicolons, Y/N flags, local date formats, gaps."""
    source = tmp_path / "export.csv"
    source.write_text(
        HEADER.replace(",", ";")
        + "\nX2;A;B;1984-03-09;bad-email;en;01/12/2026 09:00;P;L;dry-needling;maybe"
        + "\nX3;;B;1984-03-09;;en;2026-12-01 10:00;P;L;exercise-programmes;N\n",
        encoding="utf-8",
    )
    result = build_batch(source, tmp_path / "out", kit=REPO_ROOT, jobs=1)
    assert result.exit_code == 1
    first, second = (e["error"] for e in result.manifest["entries"])
    assert first == (
        "row 1 (line 2): first_visit: 'maybe' is not true or false; "
        "email: 'bad-email' is not an email address; "
        "appointment_start: '01/12/2026 09:00' is not an ISO 8601 date and time, "
        "e.g. 2026-12-01T09:30"
    )
    assert second == "row 2 (line 3): given_name: required but missing"
    assert not list((tmp_path / "out").glob("*.pdf"))


def test_header_spelling_from_other_systems(tmp_path: Path) -> None:
    """`Patient ID`, `Given Name`... match patient_id, given_name without a mapping."""
    header = ",".join(c.replace("_", " ").title() for c in HEADER.split(","))
    source = tmp_path / "export.csv"
    source.write_text(header + "\n" + ROWS["ok2"].replace(",en,", ",EN,") + "\n")
    result = build_batch(source, tmp_path / "out", kit=REPO_ROOT, jobs=1)
    assert result.exit_code == 0, result.manifest
    assert header.startswith("Patient Id,Given Name,")


def test_input_formats_for_non_iso_exports(tmp_path: Path) -> None:
    kit = kit_with(
        tmp_path,
        'input_formats:\n  date_of_birth: "%d/%m/%Y"\n  appointment_start: "%d/%m/%Y %H:%M"\n',
    )
    good = (
        ROWS["ok2"]
        .replace("1961-02-03", "03/02/1961")
        .replace("2026-12-01T10:00:00", "01/12/2026 10:00")
    )
    bad = good.replace("B-002", "B-007").replace("03/02/1961", "1961-02-03")
    source = tmp_path / "export.csv"
    source.write_text("\n".join([HEADER, good, bad]) + "\n", encoding="utf-8")
    result = build_batch(source, tmp_path / "out", kit=kit, jobs=1)
    ok, failed = result.manifest["entries"]
    assert ok["status"] == "ok" and ok["appointment_start"] == "2026-12-01T10:00:00"
    assert failed["error"] == (
        "row 2 (line 3): date_of_birth: '1961-02-03' does not match the format %d/%m/%Y"
    )


def test_ids_differing_only_in_case_get_distinct_files(tmp_path: Path) -> None:
    lower = ROWS["ok2"].replace("B-002", "abc")
    upper = ROWS["ok2"].replace("B-002", "ABC")
    source = tmp_path / "in.csv"
    source.write_text("\n".join([HEADER, lower, upper]) + "\n", encoding="utf-8")
    result = build_batch(source, tmp_path / "out", kit=REPO_ROOT, jobs=1)
    assert result.exit_code == 0
    names = sorted(Path(e["path"]).name.lower() for e in result.manifest["entries"])
    assert len(set(names)) == 2  # distinct even on a case-insensitive file system
