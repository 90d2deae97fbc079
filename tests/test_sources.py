"""Loading YAML keeps what the author typed: IDs with leading zeros, surnames that YAML 1.1
would read as booleans or numbers, versions like 1.10. Lines are known for every key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from handouts.errors import InputError
from handouts.patient import load_patient
from handouts.sources import parse_yaml_text

PATIENT = """\
id: 000123
name: {given: Yes, family: No}
date_of_birth: 1984-03-09
language: no
appointment: {start: 2026-12-01T09:30, practitioner: On, location: 1.10}
treatments: [dry-needling]
first_visit: False
interpreter: yes
"""


def test_plain_scalars_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PATIENT, encoding="utf-8")
    patient = load_patient(path)
    assert patient.id == "000123"  # not the octal number 83
    assert (patient.name.given, patient.name.family) == ("Yes", "No")
    assert patient.language == "no"  # Norwegian, not false
    assert patient.appointment.practitioner == "On"
    assert patient.appointment.location == "1.10"
    assert patient.first_visit is False and patient.interpreter is True
    assert patient.date_of_birth == dt.date(1984, 3, 9)


def test_null_dates_and_lines() -> None:
    loaded = parse_yaml_text("a: ~\nb:\n  - 2026-01-02\n  - x\n", Path("t.yaml"))
    assert loaded.data == {"a": None, "b": [dt.date(2026, 1, 2), "x"]}
    assert loaded.line_of(("b", 1)) == 4
    assert loaded.line_of(("b", 7, "deeper")) == 2  # nearest known parent


def test_duplicate_key_names_its_line() -> None:
    with pytest.raises(InputError, match=r"^t\.yaml:3: duplicate key 'a'$"):
        parse_yaml_text("a: 1\nb: 2\na: 3\n", Path("t.yaml"))


def test_exported_spellings_are_understood(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        PATIENT.replace("language: no", "language: EN_gb").replace(
            "treatments: [dry-needling]", "treatments: dry-needling; manual-therapy"
        ),
        encoding="utf-8",
    )
    patient = load_patient(path)
    assert patient.language == "en-gb"
    assert patient.treatments == ["dry-needling", "manual-therapy"]
