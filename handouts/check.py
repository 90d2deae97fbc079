"""``handouts check``: is the kit sound enough to print for patients?

This module owns the kit check. :func:`check_kit` reports every problem of a kit at once as a
:class:`CheckReport`: config and content validation, a render of every template with a sample
patient, reading level, review dates, sources, brand contrast, body text size, images without
alternative text, and cross-references. ``check_command`` only prints the report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import difflib
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .build import PacketBuilder
from .colour import AA_BODY, AA_LARGE, contrast_ratio
from .config import Kit, load_kit
from .content import FIRST_VISIT_TOPIC, KINDS, ContentDoc
from .context import EnclosedDoc, PageContext, enclosed
from .errors import ContentError, InputError, Problem, RenderError, TemplateError
from .library import Library
from .patient import Patient
from .readability import document_readability
from .sources import Loaded, Loc, load_mapping
from .templates import pick_template
from .validation import dotted

REVIEW_SOON_DAYS = 60
MIN_BODY_PT = 12.0
PLACEHOLDERS = ("{clinic_phone}", "{emergency_number}", "{clinic_name}")
_PLACEHOLDER = re.compile(r"\{\s*[A-Za-z_][\w.-]*\s*\}")
# Labels of readability.document_texts() that are not section headings, and their keys.
_PART_KEYS = {"Summary": "summary", "Procedure": "procedure", "Benefits": "benefits",
              "Risks": "risks", "Alternatives": "alternatives", "No treatment": "no_treatment",
              "Screening questions": "screening", "Statements": "statements"}  # fmt: skip
# (foreground, background, what the default stylesheet draws with them, minimum, severity)
_COLOUR_PAIRS = (
    ("text", "background", "body text", AA_BODY, "error"),
    ("on_primary", "primary", "text on the primary colour", AA_BODY, "error"),
    ("accent", "background", "labels in the accent colour", AA_BODY, "error"),
    ("primary", "background", "headings in the primary colour", AA_LARGE, "error"),
    ("primary", "background", "small text in the primary colour", AA_BODY, "warning"),
)
_PT_PER_UNIT = {"pt": 1.0, "px": 0.75, "pc": 12.0, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4}
_BODY_SIZE = re.compile(r"(--body-size|font-size)\s*:\s*([\d.]+)(pt|px|pc|in|cm|mm)\b")
# An <img> tag without an alt attribute (Jinja escapes ">" inside attribute values).
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt\s*=)[^>]*>", re.I)
# "path/to/x.html.j2:12: message": how TemplateError and RenderError name the failing file.
_WHERE = re.compile(r"^(?P<file>[^\s:]+?\.(?:j2|yaml|css))(?::(?P<line>\d+))?: (?P<msg>.*)$", re.S)


@dataclass(frozen=True)
class DocumentResult:
    """The reading level and review status of one document in one language."""

    id: str
    language: str
    smog: float | None  # None when not measured: both formulas are for English
    fk: float | None
    target: float
    review_status: str  # ok | due soon | overdue
    hardest_sections: tuple[tuple[str, float], ...]  # (section, SMOG), hardest first

    @property
    def within_target(self) -> bool | None:
        return None if self.smog is None else self.smog <= self.target

    def as_dict(self) -> dict[str, object]:
        hardest = [{"section": label, "smog": smog} for label, smog in self.hardest_sections]
        fields = ("id", "language", "smog", "fk", "target", "within_target", "review_status")
        return {**{name: getattr(self, name) for name in fields}, "hardest_sections": hardest}


@dataclass(frozen=True)
class CheckReport:
    """Every problem found in a kit, and each document's reading grade."""

    problems: tuple[Problem, ...]
    documents: tuple[DocumentResult, ...] = ()
    loaded: bool = True  # False: the kit itself could not load, nothing else was checked

    def count(self, severity: str) -> int:
        return sum(1 for p in self.problems if p.severity == severity)

    def exit_code(self, strict: bool = False) -> int:
        """0 clean (notes and warnings allowed), 1 errors (or warnings when strict), 2 no kit."""
        if not self.loaded:
            return 2
        return 1 if self.count("error") or (strict and self.count("warning")) else 0

    def as_dict(self, strict: bool = False) -> dict[str, object]:
        return {
            "ok": self.exit_code(strict) == 0,
            **{f"{s}s": self.count(s) for s in ("error", "warning", "note")},
            "problems": [p.as_dict() for p in self.problems],
            "documents": [d.as_dict() for d in self.documents],
        }


def review_status(next_review: dt.date, today: dt.date) -> str:
    if next_review < today:
        return "overdue"
    return "due soon" if (next_review - today).days <= REVIEW_SOON_DAYS else "ok"


def measure_document(doc: ContentDoc, kit_target: float, today: dt.date) -> DocumentResult:
    """Reading grades (rounded to 0.1) against the document's own target or the kit's."""
    target = doc.doc.reading_target or kit_target
    status = review_status(doc.doc.next_review, today)
    if not doc.language.startswith("en"):
        return DocumentResult(doc.id, doc.language, None, None, target, status, ())
    overall, parts = document_readability(doc.doc)
    hardest = sorted(parts, key=lambda part: -part[1].smog)[:3]
    smog, fk = round(overall.smog, 1), round(overall.fk, 1)
    grades = tuple((label, round(r.smog, 1)) for label, r in hardest)
    return DocumentResult(doc.id, doc.language, smog, fk, target, status, grades)


def check_kit(kit_dir: str | Path | None = None, today: dt.date | None = None) -> CheckReport:
    """Check the kit at ``kit_dir`` (default: found as every command finds it). Never raises
    for a fault of the kit: a kit that cannot load gives a report with ``loaded=False``."""
    today = today or dt.date.today()
    try:
        kit = load_kit(kit_dir)
    except InputError as exc:
        return CheckReport(exc.problems or (Problem(str(kit_dir), str(exc)),), (), False)
    builder = _CheckingBuilder(kit)
    docs, problems = builder.library.all_documents()
    results = []
    for doc in docs:
        results.append(measure_document(doc, kit.clinic.reading_target, today))
        problems += _document_problems(doc, load_mapping(doc.path), results[-1], today)
    problems += _colour_problems(kit) + _body_size_problems(kit)
    problems += _cross_reference_problems(kit, builder.library)
    problems += _render_problems(builder, docs, today)
    return CheckReport(tuple(dict.fromkeys(problems)), tuple(results))


# -- content --------------------------------------------------------------------------------
def _strings(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict | list):
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _strings(item, (*loc, key))


def _document_problems(
    doc: ContentDoc, loaded: Loaded, result: DocumentResult, today: dt.date
) -> list[Problem]:
    d, problems = doc.doc, []

    def add(message: str, loc: Loc, severity: str, hint: str = "") -> None:
        line = loaded.line_of(loc)
        problems.append(Problem(doc.path, message, line, dotted(loc), severity, hint))

    if result.review_status != "ok":
        overdue = result.review_status == "overdue"
        when = "was due" if overdue else f"is due in {(d.next_review - today).days} days,"
        hint = "review the content, then set new version, published and next_review dates"
        severity = "warning" if overdue else "note"
        add(f"review {when} on {d.next_review}", ("next_review",), severity, hint)
    if not d.sources:
        add("no sources: cite what the statements rest on", ("sources",), "warning", "add sources")
    if result.smog is None:
        add("reading grade not measured: SMOG and FK are English formulas", ("language",), "note")
    elif not result.within_target:
        hard = [p for p in result.hardest_sections if p[1] > result.target]
        hard = hard or list(result.hardest_sections[:1])
        headings, first = [s.heading for s in d.sections], hard[0][0]
        part: Loc = (_PART_KEYS.get(first, "sections"),)
        part = ("sections", headings.index(first)) if first in headings else part
        names = ", ".join(f"'{label}' ({grade:.1f})" for label, grade in hard)
        message = f"reading grade SMOG {result.smog:.1f} is above the target {result.target:g}"
        hint = "shorter sentences, everyday words of one or two syllables"
        add(f"{message} (Flesch-Kincaid {result.fk:.1f}); hardest: {names}", part, "warning", hint)
    for loc, text in _strings(d.model_dump(mode="json")):
        for found in (f for f in _PLACEHOLDER.findall(text) if f not in PLACEHOLDERS):
            close = difflib.get_close_matches(found, PLACEHOLDERS, n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + "allowed: "
            add(f"unknown placeholder '{found}'", loc, "error", hint + ", ".join(PLACEHOLDERS))
    return problems


def _cross_reference_problems(kit: Kit, library: Library) -> list[Problem]:
    """Leaflet and aftercare beside a consent form, originals of translations, template names."""
    problems: list[Problem] = []
    kinds: dict[str, set[str]] = {}
    for (topic, kind, language), file in sorted(library.files.items(), key=lambda i: str(i[0])):
        kinds.setdefault(topic, set()).add(kind)
        if language and (topic, kind, None) not in library.files:
            message = f"'{language}' translation of '{topic}/{kind}', which does not exist"
            problems.append(Problem(file.path, message, hint=f"add content/{topic}/{kind}.yaml"))
    for topic, present in sorted(kinds.items()):
        folder = next(f.path.parent for (t, _, _), f in library.files.items() if t == topic)
        needed = {"leaflet": "every topic needs one"}
        if "consent" in present and topic != FIRST_VISIT_TOPIC:
            needed["aftercare"] = "it has a consent form"
        for kind in sorted(needed.keys() - present):
            message, hint = f"'{topic}' has no {kind} ({needed[kind]})", f"add {topic}/{kind}.yaml"
            problems.append(Problem(folder, message, hint=hint))
    for template in sorted((kit.root / "templates").glob("*-*.html.j2")):
        kind, _, topic = template.name.removesuffix(".html.j2").partition("-")
        if kind in KINDS and topic not in kinds:
            close = difflib.get_close_matches(topic, list(kinds), n=1)
            hint = f"did you mean '{kind}-{close[0]}.html.j2'?" if close else ""
            message = f"serves no document: there is no topic '{topic}'"
            problems.append(Problem(template, message, severity="warning", hint=hint))
    return problems


# -- brand and print ------------------------------------------------------------------------
def _colour_problems(kit: Kit) -> list[Problem]:
    """WCAG AA contrast of the brand colours, paired as the default stylesheet pairs them."""
    colours, line = kit.clinic.colours, load_mapping(kit.config_path).line_of
    problems: list[Problem] = []
    for fg, bg, use, minimum, severity in _COLOUR_PAIRS:
        first, second = getattr(colours, fg), getattr(colours, bg)
        ratio = contrast_ratio(first, second)
        if ratio < minimum and not any(p.key == f"colours.{fg}" for p in problems):
            message = f"{use}: {first} on {second} has contrast {ratio:.2f}:1"
            hint = f"WCAG AA needs {minimum:g}:1; change colours.{fg} or colours.{bg}"
            where = (line(["colours", fg]), f"colours.{fg}")
            problems.append(Problem(kit.config_path, message, *where, severity, hint))
    return problems


def _body_size_problems(kit: Kit) -> list[Problem]:
    """Body text under 12 pt set by the kit's stylesheets (the theme sets 12 or 16 pt)."""
    problems: list[Problem] = []
    for css in (kit.find_file("handouts.css", "styles"), kit.root / "styles" / "clinic.css"):
        if css is None or not css.is_file():
            continue
        blank = lambda m: re.sub(r"[^\n]", " ", m.group())  # noqa: E731  (keeps line numbers)
        text = re.sub(
            r"/\*.*?\*/", blank, css.read_text(encoding="utf-8", errors="replace"), flags=re.S
        )
        for rule in re.finditer(r"([^{};]*)\{([^{}]*)\}", text):
            on_body = re.search(r"(?:^|[\s,])(?:html|body|:root)(?=$|[\s,])", rule[1])
            for decl in _BODY_SIZE.finditer(rule[2]):
                size = float(decl[2]) * _PT_PER_UNIT[decl[3]]
                if size < MIN_BODY_PT and (decl[1] == "--body-size" or on_body):
                    line = text.count("\n", 0, rule.start(2) + decl.start()) + 1
                    message = f"body text {decl[2]}{decl[3]} is under {MIN_BODY_PT:g} pt"
                    hint = "clear print: 12 pt at least; large_print: true gives 16 pt"
                    problems.append(Problem(css, message, line, decl[1], "error", hint))
    return problems


# -- rendering ------------------------------------------------------------------------------
class _CheckingBuilder(PacketBuilder):
    """A packet builder that remembers the template and HTML of every page it renders."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.template = ""  # the template of the page being rendered
        self.pages: list[tuple[str, str]] = []

    def _html(self, names: list[str], ctx: PageContext, created: str) -> str:
        self.template = str(self.kit.root / "templates" / names[0])
        self.template = pick_template(self.env, names).filename or self.template
        html = super()._html(names, ctx, created)
        self.pages.append((self.template, html))
        return html


def _sample_patient(kit: Kit, treatments: list[str], language: str, start: dt.datetime) -> Patient:
    appointment = {"start": start, "practitioner": "Sam Sample, Physiotherapist",
                   "location": f"{kit.clinic.name}, room 1"}  # fmt: skip
    name = {"given": "Zoë", "family": "Sample-Ó Briain"}  # non-ASCII must print
    return Patient.model_validate({"id": "CHECK-0001", "name": name, "language": language,
                                   "date_of_birth": "1961-05-14", "treatments": treatments,
                                   "appointment": appointment})  # fmt: skip


def _render_problems(
    builder: _CheckingBuilder, docs: list[ContentDoc], today: dt.date
) -> list[Problem]:
    """Lay out every document, a cover letter per treatment and a blank page, as packets do.

    PDFs are not written: that stage reads no template or resource, and costs as much again."""
    kit, library = builder.kit, builder.library
    start = dt.datetime.combine(today + dt.timedelta(days=7), dt.time(9, 30), tzinfo=dt.UTC)
    day, created = start.date(), start.isoformat()
    failures: dict[tuple[str, int | None, str], list[str]] = {}
    problems: list[Problem] = []

    def attempt(label: str, render: Callable[..., object], *args: object) -> None:
        try:
            render(*args)
        except (TemplateError, RenderError) as exc:
            failed(label, exc.format_message())
        except Exception as exc:  # a crash in layout is a problem of the kit, reported too
            failed(label, f"cannot lay out: {type(exc).__name__}: {exc}")

    def failed(label: str, text: str) -> None:
        found = _WHERE.match(text)
        line = int(found["line"]) if found and found["line"] else None
        where = (found["file"], line, found["msg"]) if found else (builder.template, None, text)
        failures.setdefault(where, []).append(label)

    def lay_out(doc: ContentDoc, patient: Patient, packet: tuple[EnclosedDoc, ...]) -> None:
        if doc.kind == "consent":
            builder.consent_document(doc, patient, packet, day, created)
        else:
            builder.static_document(doc)

    done: set[tuple[str, str]] = set()
    patient = _sample_patient(kit, [], kit.clinic.language, start)
    # A topic with a translation but no original is reported once, by the cross-reference check.
    orphans = {t for t, k, lang in library.files if lang and (t, k, None) not in library.files}
    for treatments in [[t] for t in library.treatment_topics() if t not in orphans] or [[]]:
        patient = _sample_patient(kit, treatments, kit.clinic.language, start)
        try:
            packet_docs = builder.packet_documents(patient)
        except ContentError as exc:
            problems += exc.problems
            continue
        packet = tuple(enclosed(d) for d in packet_docs)
        label = f"the cover letter for {', '.join(treatments) or 'a first visit'}"
        attempt(label, builder.letter_document, patient, packet, day, created)
        for doc in (d for d in packet_docs if (d.id, d.language) not in done):
            done.add((doc.id, doc.language))
            attempt(f"{doc.id} ({doc.language})", lay_out, doc, patient, packet)
    for doc in (d for d in docs if (d.id, d.language) not in done):  # translations
        own = _sample_patient(kit, [], doc.language, start)
        attempt(f"{doc.id} ({doc.language})", lay_out, doc, own, (enclosed(doc),))
    attempt("the blank page", builder.blank_document, patient, day, created)
    for (file, line, message), labels in failures.items():
        more = f" and {len(labels) - 3} more" if len(labels) > 3 else ""
        hint = f"while rendering {', '.join(labels[:3])}{more}"
        problems.append(Problem(file, message, line, "", "error", hint))
    for template, html in builder.pages:
        for tag in dict.fromkeys(_IMG_WITHOUT_ALT.findall(html)):
            message = f"an image has no alt text: {tag if len(tag) < 80 else tag[:76] + '...>'}"
            hint = 'add alt="..." saying what it shows, or alt="" if it is decoration'
            problems.append(Problem(template, message, None, "img", "error", hint))
    return problems


# -- command --------------------------------------------------------------------------------
def _shown(problem: Problem) -> str:
    """``severity: file:line: key: message (hint)``, the file relative to the current folder."""
    with contextlib.suppress(ValueError):
        relative = Path(problem.file).resolve().relative_to(Path.cwd())
        problem = dataclasses.replace(problem, file=relative)
    return f"{problem.severity}: {problem}"


@click.command("check")
@click.option("--kit", type=click.Path(path_type=Path), default=None,
              help="Kit folder (holds clinic.yaml). Default: as for other commands.")  # fmt: skip
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def check_command(kit: Path | None, strict: bool, as_json: bool) -> None:
    """Check the kit: config, content, templates, reading level, review dates, contrast.

    Exit codes: 0 clean (notes and warnings allowed), 1 errors (or warnings with --strict),
    2 the kit itself cannot load."""
    report = check_kit(kit)
    code = report.exit_code(strict)
    if as_json:
        click.echo(json.dumps(report.as_dict(strict), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            click.echo(_shown(problem))
        counts = ", ".join(f"{report.count(s)} {s}(s)" for s in ("error", "warning", "note"))
        verdict = "kit not loaded" if code == 2 else ("FAILED" if code else "OK")
        click.echo(f"check {verdict}: {len(report.documents)} documents; {counts}")
    sys.exit(code)
