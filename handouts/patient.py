"""The patient a packet is for: name, date of birth, appointment and treatments."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from .errors import PatientError
from .sources import Loaded, load_mapping
from .validation import Model, as_text, validate

# Bidi overrides, embeddings and isolates can make "P-\u202e321" print as "P-123": an ID or
# name on a medical record must read as it is stored.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def plain_text(value: str) -> str:
    """Refuse control characters and bidi overrides; allow every script, and the zero-width
    joiners some scripts need."""
    for char in value:
        if char in _BIDI_CONTROLS:
            raise ValueError(
                f"contains the invisible direction control U+{ord(char):04X}, which can make "
                "it print differently from how it is stored"
            )
        if unicodedata.category(char) == "Cc":
            raise ValueError(f"contains the control character U+{ord(char):04X}")
    return value


Text = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(plain_text)]


class Name(Model):
    given: Text
    family: Text

    _as_text = field_validator("given", "family", mode="before")(as_text)

    @property
    def full(self) -> str:
        return f"{self.given} {self.family}"


class Appointment(Model):
    start: dt.datetime
    practitioner: Text
    location: Text

    @field_validator("start")
    @classmethod
    def _plausible(cls, value: dt.datetime) -> dt.datetime:
        if not 2000 <= value.year <= 2200:
            raise ValueError(f"{value.isoformat()} is not a plausible appointment time")
        return value

    @field_validator("start", mode="before")
    @classmethod
    def _iso(cls, value: object) -> object:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            raise ValueError("needs a time as well as a date, e.g. 2026-12-01T09:30")
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(
                    f"'{value}' is not an ISO 8601 date and time, e.g. 2026-12-01T09:30"
                ) from None
        return value


class Patient(Model):
    """One patient, validated."""

    id: Annotated[str, Field(min_length=1, max_length=64)]
    name: Name
    date_of_birth: dt.date
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")] = "en"
    email: str | None = None
    appointment: Appointment
    treatments: list[Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]] = []
    first_visit: bool = True
    interpreter: bool = False
    # printed in the identification panel at the top of consent page 1: keep it short
    special_requirements: (
        Annotated[str, Field(max_length=160), AfterValidator(plain_text)] | None
    ) = None

    _id_text = field_validator("id", mode="before")(as_text)

    @field_validator("language", mode="before")
    @classmethod
    def _language_code(cls, value: object) -> object:
        # exports write EN, en_GB or " en ": the code is the same
        if isinstance(value, str):
            primary, _, rest = value.strip().replace("_", "-").partition("-")
            return primary.lower() + (f"-{rest}" if rest else "")
        return value

    @field_validator("treatments", mode="before")
    @classmethod
    def _treatment_list(cls, value: object) -> object:
        # "dry-needling; manual-therapy" as one string, as exports and hand-written files have it
        if isinstance(value, str):
            return [t.strip() for t in value.replace(",", ";").split(";") if t.strip()]
        return value

    @field_validator("date_of_birth", mode="before")
    @classmethod
    def _dob(cls, value: object) -> object:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"'{value}' is not a date in the form YYYY-MM-DD") from None
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _dob_range(cls, value: dt.date) -> dt.date:
        if value.year < 1900 or value > dt.date.today():
            raise ValueError(f"{value.isoformat()} is not a plausible date of birth")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if "@" not in value or value.startswith("@") or value.endswith("@") or " " in value:
            raise ValueError(f"'{value}' is not an email address")
        return value

    @field_validator("id")
    @classmethod
    def _printable_id(cls, value: str) -> str:
        return plain_text(value)

    @model_validator(mode="after")
    def _unique_treatments(self) -> Patient:
        if len(set(self.treatments)) != len(self.treatments):
            raise ValueError("treatments: each treatment may be listed once")
        return self


def load_patient(path: Path) -> Patient:
    """Load and validate a patient file (YAML or JSON)."""
    return load_patient_source(path)[0]


def load_patient_source(path: Path) -> tuple[Patient, Loaded]:
    """The validated patient and the loaded file (for line numbers of later checks)."""
    loaded = load_mapping(path)
    return validate(Patient, loaded, PatientError), loaded
