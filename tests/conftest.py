"""Shared fixtures: the example packets, each rendered once per test session and read back.

A packet takes seconds to render, so every packet the suite needs is built once, in a
session-scoped fixture, and many tests assert on it. Under pytest-xdist the workers share the
build: the first worker to need a packet builds it under a file lock in the run's shared
temporary folder and records its facts in JSON; the other worker reuses that file (the
pattern the pytest-xdist documentation gives for session fixtures).

Expected values (names, dates, titles, versions) are read from the example patients and the
content YAML with PyYAML/json directly, not through handouts' own loaders, so a loader bug
cannot hide itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from handouts.api import build_packet, render_document
from handouts.build import DocRecord
from handouts.render import RenderOptions

REPO_ROOT = Path(__file__).resolve().parents[1]
PATIENTS = REPO_ROOT / "examples" / "patients"
ZOE = PATIENTS / "zoe.yaml"
DIMITRIOS = PATIENTS / "dimitrios.json"
CONTENT = REPO_ROOT / "content"

KIND_ORDER = ("leaflet", "consent", "aftercare")  # DOMAIN.md packet order
KIND_LABELS = {
    "leaflet": "Information leaflet",
    "consent": "Consent form",
    "aftercare": "Aftercare",
}
FIRST_VISIT_TOPIC = "first-visit"


# --- text helpers ----------------------------------------------------------------------


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces; the QR text (one payload field a line) joined."""
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"\| ", "|", text).strip()


def long_date(value: dt.date) -> str:
    """The clinic's long date format (en_GB): ``9 March 1984``."""
    return f"{value.day} {value:%B} {value.year}"


# --- expected values, read straight from the YAML/JSON ----------------------------------


def load_data(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@dataclass(frozen=True)
class ExpectedPatient:
    path: Path
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def given(self) -> str:
        return self.data["name"]["given"]

    @property
    def full_name(self) -> str:
        return f"{self.data['name']['given']} {self.data['name']['family']}"

    @property
    def date_of_birth(self) -> str:
        value = self.data["date_of_birth"]
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        return long_date(value)

    @property
    def start(self) -> dt.datetime:
        value = self.data["appointment"]["start"]
        return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)

    @property
    def first_visit(self) -> bool:
        return bool(self.data.get("first_visit", True))

    @property
    def treatments(self) -> list[str]:
        return list(self.data.get("treatments", []))


def expected_patient(path: Path) -> ExpectedPatient:
    return ExpectedPatient(path, load_data(path))


def content_data(doc_id: str) -> dict[str, Any]:
    """The untranslated content YAML of a document, e.g. ``dry-needling/consent``."""
    topic, kind = doc_id.split("/")
    return load_data(CONTENT / topic / f"{kind}.yaml")


def bookmark_title(doc_id: str) -> str:
    """``Consent form: Consent to dry needling``; the cover letter is ``Cover letter``."""
    if doc_id == "cover-letter":
        return "Cover letter"
    kind = doc_id.split("/")[1]
    return f"{KIND_LABELS[kind]}: {content_data(doc_id)['title']}"


def expected_doc_ids(patient: ExpectedPatient) -> list[str]:
    """The packet's documents as the issue orders them, from what the content folder holds."""
    topics = ([FIRST_VISIT_TOPIC] if patient.first_visit else []) + patient.treatments
    ids = [
        f"{topic}/{kind}"
        for kind in KIND_ORDER
        for topic in topics
        if (CONTENT / topic / f"{kind}.yaml").is_file()
    ]
    return ["cover-letter", *ids]


# --- built packets ---------------------------------------------------------------------


@dataclass
class Packet:
    """A PDF written by handouts, read back with pypdf."""

    path: Path
    documents: tuple[DocRecord, ...]
    pages: int
    sha256: str
    _texts: dict[int, str] = field(default_factory=dict, repr=False)

    @cached_property
    def data(self) -> bytes:
        return self.path.read_bytes()

    @cached_property
    def reader(self) -> PdfReader:
        return PdfReader(self.path)

    def text(self, page_number: int) -> str:
        """Normalised text of a page, numbered from 1 (extracted once)."""
        if page_number not in self._texts:
            self._texts[page_number] = normalise(self.reader.pages[page_number - 1].extract_text())
        return self._texts[page_number]

    def field_values(self, page_number: int) -> list[str]:
        """Values of the form fields (widgets) on a page: what a fillable form shows in them."""
        values = []
        for annot in self.reader.pages[page_number - 1].get("/Annots") or []:
            annot = annot.get_object()
            value = annot.get("/V")
            if value is None and "/Parent" in annot:
                value = annot["/Parent"].get_object().get("/V")
            if isinstance(value, str) and value:
                values.append(value)
        return values

    def shown(self, page_number: int) -> str:
        """What a reader sees on a page: its text and the values of its form fields."""
        return normalise(" ".join([self.text(page_number), *self.field_values(page_number)]))

    def record(self, doc_id: str) -> DocRecord:
        matches = [d for d in self.documents if d.id == doc_id]
        assert len(matches) == 1, f"{doc_id} in {[d.id for d in self.documents]}"
        return matches[0]

    def page_numbers(self, doc_id: str) -> range:
        """Packet page numbers (from 1) of one document."""
        record = self.record(doc_id)
        return range(record.first_page, record.first_page + record.pages)

    def document_text(self, doc_id: str) -> str:
        return " ".join(self.text(n) for n in self.page_numbers(doc_id))

    def consent_ids(self) -> list[str]:
        return [d.id for d in self.documents if d.kind == "consent"]

    def filler_pages(self) -> list[int]:
        """Pages that belong to no document (duplex blank pages)."""
        covered = {n for d in self.documents for n in self.page_numbers(d.id)}
        return [n for n in range(1, self.pages + 1) if n not in covered]


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    base = tmp_path_factory.getbasetemp()
    folder = (base if worker_id == "master" else base.parent) / "shared-packets"
    folder.mkdir(exist_ok=True)
    return folder


def _packet_from_record(path: Path, record: dict[str, Any]) -> Packet:
    docs = tuple(DocRecord(**d) for d in record["documents"])
    return Packet(path, docs, record["pages"], record["sha256"])


def _shared_build(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str, build
) -> Packet:
    folder = _shared_dir(tmp_path_factory, worker_id)
    pdf = folder / f"{name}.pdf"
    facts = folder / f"{name}.json"
    with _locked(folder / f"{name}.lock"):
        if not facts.is_file():
            written = build(pdf)
            facts.write_text(json.dumps(written.as_dict()), encoding="utf-8")
        record = json.loads(facts.read_text(encoding="utf-8"))
    return _packet_from_record(pdf, record)


@pytest.fixture(autouse=True)
def _no_kit_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests name their kit; a developer's $HANDOUTS_KIT must not change what they see."""
    monkeypatch.delenv("HANDOUTS_KIT", raising=False)


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """pytest-xdist's worker id (``master`` when not distributed)."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "master"


@pytest.fixture(scope="session")
def zoe() -> ExpectedPatient:
    return expected_patient(ZOE)


@pytest.fixture(scope="session")
def dimitrios() -> ExpectedPatient:
    return expected_patient(DIMITRIOS)


@pytest.fixture(scope="session")
def demo_packet(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Packet:
    """Zoë's packet (first visit, dry needling), flat print form, simplex."""
    return _shared_build(
        tmp_path_factory, worker_id, "demo", lambda out: build_packet(ZOE, out, kit=REPO_ROOT)
    )


@pytest.fixture(scope="session")
def fillable_duplex_packet(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Packet:
    """Zoë's packet with ``--fillable --duplex``."""
    options = RenderOptions(fillable=True, duplex=True)
    return _shared_build(
        tmp_path_factory,
        worker_id,
        "fillable-duplex",
        lambda out: build_packet(ZOE, out, kit=REPO_ROOT, options=options),
    )


@pytest.fixture(scope="session")
def greek_packet(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Packet:
    """Dimitrios' packet: Greek/Cyrillic/Vietnamese name, not a first visit, interpreter."""
    return _shared_build(
        tmp_path_factory,
        worker_id,
        "greek",
        lambda out: build_packet(DIMITRIOS, out, kit=REPO_ROOT),
    )


@pytest.fixture(scope="session")
def single_consent(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Packet:
    """``handouts render dry-needling/consent``: one document, not personalised."""
    return _shared_build(
        tmp_path_factory,
        worker_id,
        "single-consent",
        lambda out: render_document("dry-needling/consent", out, kit=REPO_ROOT),
    )


PACKET_FIXTURES = ("demo_packet", "fillable_duplex_packet", "greek_packet")
PATIENT_OF = {"demo_packet": "zoe", "fillable_duplex_packet": "zoe", "greek_packet": "dimitrios"}


@pytest.fixture(params=PACKET_FIXTURES)
def any_packet(request: pytest.FixtureRequest) -> tuple[Packet, ExpectedPatient]:
    """Each personalised packet with the patient it is for."""
    packet = request.getfixturevalue(request.param)
    patient = request.getfixturevalue(PATIENT_OF[request.param])
    return packet, patient
