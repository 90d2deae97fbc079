"""Batch packets for a day's appointments: one packet per row, a manifest as audit record.

Each row is validated on its own; a bad row is reported with its row number and column and
never stops the others. One :class:`PacketBuilder` is made and warmed (stylesheets, fonts,
the laid-out leaflets and aftercare sheets) before the worker processes fork, so every worker
starts with what does not depend on the patient and renders only what is personal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from . import __version__
from .appointments import Format, RawRow, header_key, parse_rows, read_source
from .build import PacketBuilder
from .config import COLUMN_KEYS, Kit, load_kit
from .context import local_start
from .errors import HandoutsError, InputError, OutputPathError, Problem
from .output import atomic_write, safe_name, sha256
from .patient import Patient
from .render import RenderOptions
from .validation import dotted

MANIFEST = "manifest.json"
TRUE = {"true", "yes", "y", "1", "t"}
FALSE = {"false", "no", "n", "0", "f"}
# Where each Patient field comes from, for error messages in the input's own terms.
FIELD_COLUMNS: dict[tuple[str, ...], str] = {
    ("id",): "patient_id",
    ("name", "given"): "given_name",
    ("name", "family"): "family_name",
    ("name",): "given_name",
    ("date_of_birth",): "date_of_birth",
    ("email",): "email",
    ("language",): "language",
    ("appointment", "start"): "appointment_start",
    ("appointment", "practitioner"): "practitioner",
    ("appointment", "location"): "location",
    ("treatments",): "treatments",
    ("first_visit",): "first_visit",
}


@dataclass(frozen=True)
class RowError(Exception):
    """A row that cannot become a packet, with the column at fault."""

    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message}" if self.column else self.message


@dataclass
class Job:
    """A validated row, ready to render."""

    row: int
    patient: Patient
    path: Path


@dataclass
class BatchResult:
    """The manifest and the exit code of a batch run."""

    manifest: dict[str, Any]
    exit_code: int
    out_dir: Path

    @property
    def ok(self) -> int:
        return sum(1 for e in self.manifest["entries"] if e["status"] == "ok")

    @property
    def failed(self) -> int:
        return sum(1 for e in self.manifest["entries"] if e["status"] == "error")


# --- rows to patients -------------------------------------------------------------------


def column_names(kit: Kit) -> dict[str, str]:
    """Our key -> the input's column name (clinic.yaml ``columns:`` renames them)."""
    return {key: kit.clinic.columns.get(key, key) for key in COLUMN_KEYS}


def _lookup(values: dict[str, Any], column: str) -> Any:
    if column in values:
        return values[column]
    wanted = header_key(column)
    for key, value in values.items():
        if header_key(key) == wanted:
            return value
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def row_to_patient(raw: RawRow, kit: Kit) -> Patient:
    """Validate one raw row into a Patient, or raise :class:`RowError` naming the column."""
    if "__invalid__" in raw.values:
        raise RowError("", str(raw.values["__invalid__"]))
    cols = column_names(kit)

    def get(key: str) -> Any:
        value = _lookup(raw.values, cols[key])
        return None if _blank(value) else value

    problems: list[str] = []
    parsed: dict[str, Any] = {}
    failed: set[str] = set()  # columns already reported
    for key, fmt in kit.clinic.input_formats.items():
        value = get(key)
        if isinstance(value, str):
            try:
                moment = dt.datetime.strptime(value.strip(), fmt)
            except ValueError:
                problems.append(f"{cols[key]}: '{value}' does not match the format {fmt}")
                failed.add(cols[key])
                continue
            parsed[key] = moment.date() if key == "date_of_birth" else moment
    treatments = get("treatments")
    if isinstance(treatments, str):
        treatments = [t.strip() for t in treatments.replace(",", ";").split(";") if t.strip()]
    first_visit = get("first_visit")
    if isinstance(first_visit, str):
        word = first_visit.strip().lower()
        if word in TRUE:
            first_visit = True
        elif word in FALSE:
            first_visit = False
        else:
            problems.append(f"{cols['first_visit']}: '{first_visit}' is not true or false")
            first_visit = None
    data: dict[str, Any] = _drop_none(
        {
            "id": get("patient_id"),
            "name": _drop_none({"given": get("given_name"), "family": get("family_name")}),
            "date_of_birth": parsed.get("date_of_birth", get("date_of_birth")),
            "language": get("language") or kit.clinic.language,
            "email": get("email"),
            "appointment": _drop_none(
                {
                    "start": parsed.get("appointment_start", get("appointment_start")),
                    "practitioner": get("practitioner"),
                    "location": get("location"),
                }
            ),
            "treatments": treatments or [],
            "first_visit": True if first_visit is None else first_visit,
        }
    )
    try:
        patient = Patient.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = tuple(str(p) for p in err["loc"] if not isinstance(p, int))
            column = FIELD_COLUMNS.get(loc) or FIELD_COLUMNS.get(loc[:1]) or dotted(err["loc"])
            column = cols.get(column, column)
            message = (
                "required but missing"
                if err["type"] == "missing"
                else err["msg"].removeprefix("Value error, ")
            )
            if column not in failed:
                problems.append(f"{column}: {message}")
        patient = None
    if problems or patient is None:
        raise RowError("", "; ".join(problems))
    return patient


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty cells, so validation says "required but missing" for them."""
    return {k: v for k, v in values.items() if v is not None}


REQUIRED_COLUMNS = (
    "patient_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "appointment_start",
    "practitioner",
    "location",
)


def _check_columns(rows: list[RawRow], kit: Kit, source: str) -> None:
    """A table (every row with the same columns) missing a required column cannot give a
    single packet: say so once, with the columns it has, instead of failing every row."""
    if not rows or any(r.values.keys() != rows[0].values.keys() for r in rows):
        return
    if "__invalid__" in rows[0].values:
        return
    have = {header_key(k) for k in rows[0].values}
    cols = column_names(kit)
    missing = [cols[k] for k in REQUIRED_COLUMNS if header_key(cols[k]) not in have]
    if missing:
        raise InputError.from_problems(
            [
                Problem(
                    source,
                    f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
                    1,
                    hint="columns found: "
                    + ", ".join(str(k) for k in rows[0].values)
                    + "; map other names with `columns:` in clinic.yaml",
                )
            ]
        )


def packet_name(patient: Patient, kit: Kit) -> str:
    start = local_start(patient, kit)
    return f"{start:%Y-%m-%d_%H%M}_{safe_name(patient.id)}.pdf"


# --- running ---------------------------------------------------------------------------

_WORKER_BUILDER: PacketBuilder | None = None


def _render_job(job: Job) -> dict[str, Any]:
    """Render and write one packet (runs in a worker process)."""
    assert _WORKER_BUILDER is not None
    try:
        built = _WORKER_BUILDER.build_packet(job.patient)
        atomic_write(job.path, built.pdf)
    except Exception as exc:  # a render crash in one row must not stop the others
        # a packet an earlier run wrote for this appointment is now out of date
        job.path.unlink(missing_ok=True)
        message = (
            exc.format_message() if isinstance(exc, HandoutsError) else f"render failed: {exc}"
        )
        return {"row": job.row, "status": "error", "error": message}
    return {
        "row": job.row,
        "status": "ok",
        "sha256": sha256(built.pdf),
        "pages": built.pages,
        "documents": [
            {
                "id": d.id,
                "version": d.version,
                "language": d.language,
                "content_sha256": d.content_sha256,
            }
            for d in built.documents
            if d.kind != "letter"
        ],
    }


def _run(jobs: list[Job], builder: PacketBuilder, workers: int) -> Iterator[dict[str, Any]]:
    global _WORKER_BUILDER
    _WORKER_BUILDER = builder
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _render_job(job)
        return
    # fork: workers inherit the warmed builder (parsed CSS, fonts, laid-out static documents)
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        yield from pool.imap(_render_job, jobs, chunksize=1)


def _warm(builder: PacketBuilder, jobs: list[Job]) -> None:
    """Lay out each static document the batch needs once, before the workers fork."""
    seen: set[tuple[tuple[str, ...], bool, str]] = set()
    for job in jobs:
        p = job.patient
        key = (tuple(p.treatments), p.first_visit, p.language)
        if key in seen:
            continue
        seen.add(key)
        try:
            for doc in builder.packet_documents(p):
                if doc.kind != "consent":
                    builder.static_document(doc)
        except HandoutsError:
            continue  # reported per row when the row renders


def _remove_stale(out: Path, failed: list[RawRow], kit: Kit, keep: set[Path]) -> None:
    """A row that fails now may have a packet from an earlier run of the same batch: remove
    it, so nobody prints a packet the manifest does not vouch for."""
    cols = column_names(kit)
    for raw in failed:
        patient_id = _text(_lookup(raw.values, cols["patient_id"]))
        start = _text(_lookup(raw.values, cols["appointment_start"]))
        if not patient_id or not start:
            continue
        moment: dt.datetime | None
        try:
            moment = dt.datetime.fromisoformat(start.strip())
        except ValueError:
            fmt = kit.clinic.input_formats.get("appointment_start")
            try:
                moment = dt.datetime.strptime(start.strip(), fmt) if fmt else None
            except ValueError:
                moment = None
        if moment is None or not 2000 <= moment.year <= 2200:
            continue
        zone = ZoneInfo(kit.clinic.timezone)
        local = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
        stale = out / f"{local:%Y-%m-%d_%H%M}_{safe_name(patient_id)}.pdf"
        if stale not in keep:  # a duplicate row's file belongs to the row it duplicates
            stale.unlink(missing_ok=True)


def _clean_partials(out_dir: Path) -> None:
    """Remove temporary files a killed run may have left (never a finished PDF)."""
    if out_dir.is_dir():
        for stale in out_dir.glob(".*.part"):
            stale.unlink(missing_ok=True)


def build_batch(
    appointments: str | Path,
    out_dir: str | Path | None = None,
    kit: Kit | str | Path | None = None,
    date: dt.date | None = None,
    jobs: int | None = None,
    fmt: Format | None = None,
    options: RenderOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Build one packet per appointment and write ``manifest.json``; see the module docstring.

    Raises :class:`InputError` (exit 2) when nothing can run: unreadable input or kit."""
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    kit_obj = kit if isinstance(kit, Kit) else load_kit(kit)
    text, source_name = read_source(appointments)
    raw_rows = parse_rows(text, source_name, fmt)
    _check_columns(raw_rows, kit_obj, source_name)
    builder = PacketBuilder(kit_obj, options or RenderOptions())

    entries: dict[int, dict[str, Any]] = {}
    todo: list[Job] = []
    seen: dict[tuple[str, str], int] = {}
    names: dict[str, int] = {}
    day_dates: set[dt.date] = set()
    valid: list[tuple[RawRow, Patient]] = []
    for raw in raw_rows:
        entry: dict[str, Any] = {"row": raw.row, "line": raw.line}
        try:
            patient = row_to_patient(raw, kit_obj)
            builder.library.check_treatments(list(patient.treatments), source_name)
        except RowError as exc:
            entries[raw.row] = _error_entry(entry, raw, kit_obj, str(exc))
            continue
        except InputError as exc:
            problem = exc.problems[0] if exc.problems else None
            detail = f"{problem.key}: {problem.message}" if problem else exc.format_message()
            if problem and problem.hint:
                detail += f" ({problem.hint})"
            column = column_names(kit_obj)["treatments"]
            entries[raw.row] = _error_entry(
                entry, raw, kit_obj, detail.replace(problem.key, column, 1) if problem else detail
            )
            continue
        except Exception as exc:  # whatever a row holds, it must not stop the others
            entries[raw.row] = _error_entry(entry, raw, kit_obj, f"cannot read this row: {exc}")
            continue
        local_day = local_start(patient, kit_obj).date()
        if date is not None and local_day != date:
            continue
        day_dates.add(local_day)
        valid.append((raw, patient))

    out = (
        Path(out_dir) if out_dir else Path.cwd() / "output" / _folder_date(date, day_dates, kit_obj)
    )
    for raw, patient in valid:
        entry = {"row": raw.row, "line": raw.line}
        key = (patient.id, patient.appointment.start.isoformat())
        name = packet_name(patient, kit_obj)
        if key not in seen and name.lower() in names:
            # IDs that differ only in case ("abc", "ABC") would share a file on Windows and
            # macOS: the later one gets a suffix from its ID
            digest = hashlib.sha256(patient.id.encode("utf-8")).hexdigest()[:8]
            name = f"{name.removesuffix('.pdf')}-{digest}.pdf"
        if key in seen:
            first = seen[key]
            entries[raw.row] = _error_entry(
                entry,
                raw,
                kit_obj,
                f"patient_id: duplicate of row {first} (same patient and appointment time)",
                patient,
            )
            continue
        seen[key] = raw.row
        names[name.lower()] = raw.row
        entries[raw.row] = {
            **entry,
            "patient_id": patient.id,
            "appointment_start": patient.appointment.start.isoformat(),
            "email": patient.email,
            "status": "pending",
            "path": str(out / name),
        }
        todo.append(Job(raw.row, patient, out / name))

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"{out}: cannot use as the output folder: {exc.strerror}") from None
    failed_rows = [r for r in raw_rows if entries.get(r.row, {}).get("status") == "error"]
    _remove_stale(out, failed_rows, kit_obj, {job.path for job in todo})
    _clean_partials(out)
    _warm(builder, todo)
    # never more workers than packets to make, nor far more than the cores can run
    workers = max(1, min(jobs or os.cpu_count() or 1, len(todo), 4 * (os.cpu_count() or 1)))
    done = 0
    for result in _run(todo, builder, workers):
        entries[result["row"]].update(result)
        done += 1
        if progress:
            progress(done, len(todo))

    ordered = [entries[row] for row in sorted(entries)]
    for e in ordered:
        e.setdefault("error", None)
        if e["status"] != "ok":
            e.update({"sha256": None, "pages": None, "documents": [], "path": None})
    manifest: dict[str, Any] = {
        "run": {
            "tool": "handouts",
            "tool_version": __version__,
            "kit": str(kit_obj.root),
            "clinic": kit_obj.clinic.name,
            "input": source_name,
            "date": date.isoformat() if date else None,
            "started": started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - clock, 3),
            "jobs": workers,
            "rows": len(raw_rows),
            "ok": sum(1 for e in ordered if e["status"] == "ok"),
            "failed": sum(1 for e in ordered if e["status"] == "error"),
        },
        "entries": ordered,
    }
    atomic_write(
        out / MANIFEST, (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    )
    exit_code = 1 if manifest["run"]["failed"] else 0
    return BatchResult(manifest, exit_code, out)


def _error_entry(
    entry: dict[str, Any], raw: RawRow, kit: Kit, message: str, patient: Patient | None = None
) -> dict[str, Any]:
    cols = column_names(kit)
    where = f"row {raw.row}" + (f" (line {raw.line})" if raw.line else "")
    values = raw.values
    return {
        **entry,
        "patient_id": patient.id if patient else _text(_lookup(values, cols["patient_id"])),
        "appointment_start": patient.appointment.start.isoformat()
        if patient
        else _text(_lookup(values, cols["appointment_start"])),
        "email": patient.email if patient else _text(_lookup(values, cols["email"])),
        "status": "error",
        "path": None,
        "error": f"{where}: {message}",
    }


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value)


def _folder_date(date: dt.date | None, days: set[dt.date], kit: Kit) -> str:
    if date is not None:
        return date.isoformat()
    if len(days) == 1:
        return next(iter(days)).isoformat()
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(kit.clinic.timezone)).date().isoformat()


__all__ = ["BatchResult", "build_batch"]
