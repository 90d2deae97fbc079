"""The Python API and the commands' single entry points: each function loads, validates,
builds and (only here and in ``batch``) writes.

    from handouts import build_packet, build_batch
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .build import BuiltPDF, PacketBuilder
from .check import measure_document
from .config import Kit, load_kit
from .context import local_start
from .errors import ContentError, OutputError, OutputPathError
from .library import Library
from .output import atomic_write, safe_name, sha256
from .patient import Patient, load_patient_source
from .render import RenderOptions


@dataclass(frozen=True)
class WrittenPDF:
    """A PDF written to disk, with its audit facts."""

    path: Path
    sha256: str
    built: BuiltPDF

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "pages": self.built.pages,
            "language": self.built.language,
            "documents": [d.as_dict() for d in self.built.documents],
        }


def packet_file_name(patient: Patient, kit: Kit) -> str:
    """``<YYYY-MM-DD>_<HHMM>_<patient id>.pdf`` in the clinic's local time."""
    start = local_start(patient, kit)
    return f"{start:%Y-%m-%d_%H%M}_{safe_name(patient.id)}.pdf"


def default_output_dir() -> Path:
    return Path.cwd() / "output"


def _check_target(out: Path) -> Path:
    """Refuse an unusable output path before rendering anything."""
    if out.suffix.lower() != ".pdf" or out.name == ".pdf":
        raise OutputPathError(f"{out}: the output file name must end in .pdf")
    if len(out.name.encode("utf-8")) > 240:
        raise OutputPathError(f"{out.name[:40]}...: the output file name is too long")
    try:
        if out.is_dir():
            raise OutputPathError(f"{out}: is a folder; give a file name ending in .pdf")
        parent = next((p for p in out.parents if p.exists()), None)
    except OSError as exc:
        raise OutputPathError(f"{out}: cannot use this path: {exc.strerror}") from None
    if parent is not None and not parent.is_dir():
        raise OutputPathError(f"{out}: {parent} is a file, not a folder")
    return out


def build_packet(
    patient: Patient | str | Path,
    out: str | Path | None = None,
    kit: Kit | str | Path | None = None,
    options: RenderOptions | None = None,
    builder: PacketBuilder | None = None,
) -> WrittenPDF:
    """Build one patient's packet and write it atomically; returns where and what."""
    kit_obj = kit if isinstance(kit, Kit) else load_kit(kit)
    builder = builder or PacketBuilder(kit_obj, options or RenderOptions())
    loaded = None
    if isinstance(patient, Patient):
        patient_obj = patient
    else:
        patient_obj, loaded = load_patient_source(Path(patient))
    if out is None:
        target = default_output_dir() / packet_file_name(patient_obj, kit_obj)
    else:
        target = _check_target(Path(out))
    built = builder.build_packet(patient_obj, loaded)
    atomic_write(target, built.pdf)
    return WrittenPDF(target, sha256(built.pdf), built)


def render_document(
    doc_id: str,
    out: str | Path | None = None,
    kit: Kit | str | Path | None = None,
    language: str | None = None,
    options: RenderOptions | None = None,
) -> WrittenPDF:
    """Render one document, not personalised, and write it atomically."""
    kit_obj = kit if isinstance(kit, Kit) else load_kit(kit)
    builder = PacketBuilder(kit_obj, options or RenderOptions())
    built = builder.build_single(doc_id, language)
    if out is None:
        name = safe_name(doc_id.replace("/", "_"))
        target = default_output_dir() / f"{name}{'_' + safe_name(language) if language else ''}.pdf"
    else:
        target = _check_target(Path(out))
    atomic_write(target, built.pdf)
    return WrittenPDF(target, sha256(built.pdf), built)


def list_documents(kit: Kit | str | Path | None = None) -> list[dict[str, object]]:
    """Every document of the kit (all languages), for ``handouts list``."""
    kit_obj = kit if isinstance(kit, Kit) else load_kit(kit)
    docs, problems = Library.for_kit(kit_obj).all_documents()
    if problems:
        raise ContentError.from_problems(problems)
    today = dt.date.today()
    rows: list[dict[str, object]] = []
    for doc in docs:
        d = doc.doc
        grade = measure_document(doc, kit_obj.clinic.reading_target, today)
        rows.append(
            {
                "id": doc.id,
                "kind": doc.kind,
                "title": d.title,
                "version": d.version,
                "language": d.language,
                "published": d.published.isoformat(),
                "next_review": d.next_review.isoformat(),
                "review_status": grade.review_status,
                "smog": grade.smog,
                "fk": grade.fk,
                "target": grade.target,
                "grade_ok": grade.within_target,
                "path": str(doc.path),
            }
        )
    return rows


def demo_patient_path(kit: Kit) -> Path:
    """The kit's own example patient (``zoe.yaml``, else its first patient file by name),
    else the default kit's, so a rebranded kit demos with a patient of its own clinic."""
    for root in kit.roots:
        folder = root / "examples" / "patients"
        candidate = folder / "zoe.yaml"
        if candidate.is_file():
            return candidate
        if folder.is_dir():
            patients = sorted(
                p
                for p in folder.iterdir()
                if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".json")
            )
            if patients:
                return patients[0]
    raise OutputError("the demo patient (examples/patients/zoe.yaml) is missing from the kit")


__all__ = ["build_packet", "render_document", "list_documents", "__version__"]
