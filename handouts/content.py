"""Content documents (leaflets, aftercare sheets, consent forms): their schema and the library.

A document lives in ``content/<topic>/<kind>.yaml`` (its ID is ``<topic>/<kind>``);
translations sit beside it as ``<kind>.<language>.yaml``. A kit's content folder overrides
the default kit's file by file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .errors import ContentError, Problem
from .sources import load_mapping
from .validation import Model, as_text, validate

Kind = Literal["leaflet", "aftercare", "consent"]
KINDS: tuple[Kind, ...] = ("leaflet", "aftercare", "consent")
KIND_LABELS = {
    "leaflet": "Information leaflet",
    "aftercare": "Aftercare",
    "consent": "Consent form",
}
# The packet order of DOMAIN.md: leaflets, then consent forms, then aftercare sheets.
PACKET_ORDER: dict[str, int] = {"leaflet": 0, "consent": 1, "aftercare": 2}
FIRST_VISIT_TOPIC = "first-visit"

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
LANGUAGE = r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"


Text = Annotated[str, Field(min_length=1)]


class Source(Model):
    """A reference the document's statements rest on."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    citation: Text
    url: str | None = None


class Callout(Model):
    title: str | None = None
    text: Text


class Step(Model):
    title: Text
    text: Text


class QA(Model):
    q: Text
    a: Text


class RedFlag(Model):
    """A symptom that needs help, and what to do about it."""

    symptom: Text
    action: Text
    urgency: Literal["emergency", "urgent", "contact-clinic"] = "urgent"


class Block(Model):
    """One block of a section: exactly one of the keys below."""

    paragraph: str | None = None
    bullets: list[Text] | None = None
    steps: list[Step] | None = None
    callout: Callout | None = None
    warning: Callout | None = None
    questions: list[QA] | None = None
    red_flags: list[RedFlag] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Block:
        present = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(present) != 1:
            allowed = ", ".join(type(self).model_fields)
            raise ValueError(f"a block needs exactly one of: {allowed} (found {len(present)})")
        return self

    @property
    def kind(self) -> str:
        return next(n for n in type(self).model_fields if getattr(self, n) is not None)


class Section(Model):
    heading: Text
    blocks: Annotated[list[Block], Field(min_length=1)]


Frequency = Literal["very common", "common", "uncommon", "rare", "very rare"]
# DOMAIN.md's bands on a denominator of 10,000: (lowest inclusive, highest exclusive).
FREQUENCY_BANDS: dict[str, tuple[float, float]] = {
    "very common": (1000, 10001),
    "common": (100, 1000),
    "uncommon": (10, 100),
    "rare": (1, 10),
    "very rare": (0, 1),
}
FREQUENCY_WORDING = {
    "very common": "1 in 10 or more",
    "common": "1 in 100 to 1 in 10",
    "uncommon": "1 in 1,000 to 1 in 100",
    "rare": "1 in 10,000 to 1 in 1,000",
    "very rare": "less than 1 in 10,000",
}


class Risk(Model):
    name: Text
    frequency: Frequency
    per_10000: Annotated[float, Field(ge=0, le=10000)]
    management: Text
    source: Text
    serious: bool = False

    @model_validator(mode="after")
    def _band_matches_number(self) -> Risk:
        low, high = FREQUENCY_BANDS[self.frequency]
        if not low <= self.per_10000 < high:
            raise ValueError(
                f"per_10000 {self.per_10000:g} does not fit '{self.frequency}' "
                f"({FREQUENCY_WORDING[self.frequency]})"
            )
        return self

    @property
    def number_text(self) -> str:
        n = self.per_10000
        if n < 1:
            return "less than 1 in 10,000"
        shown = f"{n:,.0f}" if n >= 10 else f"{n:,.1f}".rstrip("0").rstrip(".")
        return f"about {shown} in 10,000"


class Procedure(Model):
    description: Annotated[list[Text], Field(min_length=1)]
    sensation: Annotated[list[Text], Field(min_length=1)]


class Alternative(Model):
    name: Text
    text: Text


class ScreeningQuestion(Model):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    question: Text


class Statements(Model):
    practitioner: Annotated[list[Text], Field(min_length=1)]
    patient: Annotated[list[Text], Field(min_length=1)]


class Document(Model):
    """Fields every document has; consent forms add their own."""

    title: Text
    summary: Text
    version: Annotated[str, Field(pattern=r"^\d+(\.\d+){0,2}$")]
    published: dt.date
    next_review: dt.date
    author: Text
    language: Annotated[str, Field(pattern=LANGUAGE)]
    sources: list[Source] = []
    sections: list[Section] = []
    reading_target: float | None = None  # overrides the kit's target for this document

    # consent only
    procedure: Procedure | None = None
    benefits: list[Text] | None = None
    risks: list[Risk] | None = None
    alternatives: list[Alternative] | None = None
    no_treatment: str | None = None
    screening: list[ScreeningQuestion] | None = None
    statements: Statements | None = None

    _version_text = field_validator("version", "language", mode="before")(as_text)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Document:
        if self.next_review <= self.published:
            raise ValueError("next_review must be after published")
        ids = [s.id for s in self.sources]
        if len(ids) != len(set(ids)):
            raise ValueError("sources: each id must be unique")
        return self


CONSENT_FIELDS = (
    "procedure",
    "benefits",
    "risks",
    "alternatives",
    "no_treatment",
    "screening",
    "statements",
)


@dataclass(frozen=True)
class ContentDoc:
    """A validated document and where it came from."""

    id: str  # topic/kind
    topic: str
    kind: Kind
    path: Path
    doc: Document
    sha256: str = ""  # of the content file, for the audit record

    @property
    def language(self) -> str:
        return self.doc.language

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def _check_kind_fields(doc: Document, kind: str, path: Path, line_of) -> list[Problem]:
    problems: list[Problem] = []
    if kind == "consent":
        for name in CONSENT_FIELDS:
            if getattr(doc, name) is None or getattr(doc, name) == []:
                problems.append(
                    Problem(path, "required in a consent form but missing", line_of(()), name)
                )
        source_ids = {s.id for s in doc.sources}
        for index, risk in enumerate(doc.risks or []):
            if risk.source not in source_ids:
                problems.append(
                    Problem(
                        path,
                        f"'{risk.source}' is not the id of an entry in sources",
                        line_of(("risks", index, "source")),
                        f"risks[{index}].source",
                        hint="allowed: " + ", ".join(sorted(source_ids)) if source_ids else "",
                    )
                )
        ids = [q.id for q in doc.screening or []]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            problems.append(
                Problem(
                    path, f"screening ids must be unique: {', '.join(dupes)}", None, "screening"
                )
            )
    else:
        for name in CONSENT_FIELDS:
            if getattr(doc, name) is not None:
                problems.append(
                    Problem(
                        path,
                        f"only a consent form has this key, not a {kind}",
                        line_of((name,)),
                        name,
                    )
                )
        if not doc.sections:
            problems.append(
                Problem(path, "a document needs at least one section", None, "sections")
            )
    return problems


FILE_NAME = re.compile(
    r"^(leaflet|aftercare|consent)(?:\.([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*))?\.ya?ml$"
)


def load_document(path: Path, topic: str, kind: Kind) -> ContentDoc:
    """Load and validate one content file."""
    loaded = load_mapping(path)
    doc = validate(Document, loaded, ContentError)
    problems = _check_kind_fields(doc, kind, path, loaded.line_of)
    if problems:
        raise ContentError.from_problems(problems)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return ContentDoc(f"{topic}/{kind}", topic, kind, path, doc, digest)


@dataclass(frozen=True)
class ContentFile:
    """A content file found on disk, before it is loaded."""

    topic: str
    kind: Kind
    language: str | None  # from the file name; None for the untranslated file
    path: Path


def discover(content_dirs: Iterable[Path]) -> dict[tuple[str, str, str | None], ContentFile]:
    """Every content file of the kit, earlier folders overriding later ones file by file."""
    found: dict[tuple[str, str, str | None], ContentFile] = {}
    for folder in content_dirs:
        if not folder.is_dir():
            continue
        for topic_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            if not re.match(SLUG, topic_dir.name):
                continue
            for file in sorted(topic_dir.iterdir()):
                match = FILE_NAME.match(file.name)
                if not match:
                    continue
                kind = match.group(1)
                key = (topic_dir.name, kind, match.group(2))
                found.setdefault(key, ContentFile(topic_dir.name, kind, match.group(2), file))  # type: ignore[arg-type]
    return found
