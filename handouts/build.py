"""The orchestrator: patient + kit -> packet PDF bytes (no file is written here).

A :class:`PacketBuilder` holds what does not depend on the patient (the kit, the Jinja
environment, parsed stylesheets, fonts, and the laid-out leaflets and aftercare sheets) and
renders only the personal documents (cover letter, consent forms, duplex filler pages) per
patient. ``build_packet`` is the one-packet entry point; ``batch.py`` reuses one builder.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import jinja2
import weasyprint
from weasyprint.document import DocumentMetadata

from .config import Kit
from .content import ContentDoc
from .context import (
    EnclosedDoc,
    FormContext,
    Options,
    PageContext,
    appointment_context,
    clinic_context,
    document_context,
    enclosed,
    format_day,
    local_start,
    patient_context,
    placeholders,
)
from .errors import ContentError, InputError, Problem, RenderError
from .fetcher import ResourceRefused
from .library import Library, same_language
from .markup import inline
from .output import safe_name
from .patient import Patient
from .qr import page_payload, png_data_url
from .render import Renderer, RenderOptions
from .sources import Loaded
from .templates import make_environment, pick_template, render_template

# Margin boxes that hold the personal parts of a consent page (see consent.html.j2).
PERSONAL_MARGINS = frozenset({"@top-right", "@right-bottom"})
# The body's own margin boxes are kept: the margins-only layout skips them.
MARGINS_ONLY_CSS = "".join(
    f"@page {{ {box} {{ content: none; }} }} @page consent:first {{ {box} {{ content: none; }} }}"
    for box in ("@top-left", "@bottom-left", "@bottom-right")
)
QR_SPARE_PAGES = 2  # QR rules beyond the expected page count; more pages trigger a re-render


@contextmanager
def fixed_font_timestamp(created: str | None) -> Iterator[None]:
    """fontTools stamps each embedded font subset with the current time unless
    ``SOURCE_DATE_EPOCH`` is set; pin it to the document's own date so the same input gives
    the same bytes (PITFALLS.md: nothing may add the clock)."""
    stamp = dt.datetime.fromisoformat(created) if created else dt.datetime(2000, 1, 1)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def graft_margins(body: weasyprint.Page, margins: weasyprint.Page) -> weasyprint.Page:
    """``body``'s page with its personal margin boxes taken from ``margins``' page.

    Both come from the same template and stylesheets, so the boxes sit at the same place;
    the new Page gathers its bookmarks, links and form fields from the grafted tree."""
    body_box, margin_box = body._page_box, margins._page_box
    keep = [c for c in body_box.children if getattr(c, "at_keyword", None) not in PERSONAL_MARGINS]
    take = [c for c in margin_box.children if getattr(c, "at_keyword", None) in PERSONAL_MARGINS]
    return weasyprint.Page(body_box.copy_with_children(keep + take))


def _css_text(text: str) -> str:
    """Text for a CSS string, one payload field a line."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("|", "|\\A ")


@dataclass(frozen=True)
class DocRecord:
    """One document in a built packet, for the audit record."""

    id: str
    title: str
    version: str
    language: str
    kind: str
    first_page: int
    pages: int
    content_sha256: str = ""  # of the content file the document was printed from

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "language": self.language,
            "kind": self.kind,
            "first_page": self.first_page,
            "pages": self.pages,
            "content_sha256": self.content_sha256,
        }


@dataclass(frozen=True)
class Part:
    """A laid-out document on its way into a packet."""

    id: str
    title: str
    version: str
    language: str
    kind: str
    rendered: weasyprint.Document
    content_sha256: str = ""

    @classmethod
    def of(cls, doc: ContentDoc, rendered: weasyprint.Document) -> Part:
        d = doc.doc
        return cls(doc.id, d.title, d.version, doc.language, doc.kind, rendered, doc.sha256)


@dataclass(frozen=True)
class BuiltPDF:
    """A rendered PDF and what it holds."""

    pdf: bytes
    pages: int
    documents: tuple[DocRecord, ...]
    language: str


@dataclass
class PacketBuilder:
    """Builds packets and single documents for one kit and one set of options."""

    kit: Kit
    options: RenderOptions = field(default_factory=RenderOptions)
    library: Library = field(init=False)
    renderer: Renderer = field(init=False)
    env: jinja2.Environment = field(init=False)
    _static: dict[tuple[str, str], weasyprint.Document] = field(default_factory=dict, init=False)
    _consent_pages: dict[tuple[str, str], int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.library = Library.for_kit(self.kit)
        self.renderer = Renderer(self.kit, self.options)
        values = placeholders(self.kit)
        self.env = make_environment(
            [self.kit.root / "templates"],
            self.kit.default_root / "templates",
            filters={"md": partial(inline, values=values)},
        )
        logo = self.kit.clinic.logo
        self.clinic = clinic_context(self.kit, self.kit.resolve(logo.file).as_uri() if logo else "")
        self.placeholders = values

    # -- context -------------------------------------------------------------------------

    def _options(self, blank: bool = False) -> Options:
        return Options(
            large_print=self.options.large_print or self.kit.clinic.large_print,
            duplex=self.options.duplex,
            paper=self.kit.clinic.paper,
            blank_page=blank,
        )

    def _page(
        self,
        patient: Patient | None,
        doc: ContentDoc | None,
        packet: tuple[EnclosedDoc, ...],
        today: dt.date,
        blank: bool = False,
    ) -> PageContext:
        doc_ctx = document_context(doc, self.kit, packet) if doc else None
        prefix_parts = [safe_name(patient.id) if patient else "blank"]
        if doc:
            prefix_parts.append(safe_name(doc.id.replace("/", "-")))
        return PageContext(
            clinic=self.clinic,
            patient=patient_context(patient, self.kit) if patient else None,
            appointment=appointment_context(patient, self.kit) if patient else None,
            doc=doc_ctx,
            packet=packet,
            # "." separates levels in PDF field names: keep it out of the namespace.
            form=FormContext(self.options.fillable, "-".join(prefix_parts).replace(".", "_")),
            options=self._options(blank),
            today=format_day(today, self.kit),
            placeholders=self.placeholders,
        )

    def _html(self, names: list[str], ctx: PageContext, created: str) -> str:
        template = pick_template(self.env, names)
        return render_template(template, created=created, **ctx.as_template_vars())

    # -- documents -----------------------------------------------------------------------

    def _localised(self, names: list[str], language: str) -> list[str]:
        """Template names for a language, most specific first. The plain templates are written
        in the clinic's language (clinic.yaml ``language``); a packet in another language needs
        its own (``letter.fr.html.j2``), never a silent fallback to the clinic's."""
        local = [n.removesuffix(".html.j2") + f".{language}.html.j2" for n in names]
        return local + names if same_language(language, self.kit.clinic.language) else local

    def _template_names(self, doc: ContentDoc) -> list[str]:
        return self._localised(
            [f"{doc.kind}-{doc.topic}.html.j2", f"{doc.kind}.html.j2"], doc.language
        )

    def static_document(self, doc: ContentDoc) -> weasyprint.Document:
        """A leaflet or aftercare sheet: the same for every patient, laid out once."""
        key = (doc.id, doc.language)
        if key not in self._static:
            ctx = self._page(None, doc, (), doc.doc.published)
            html = self._html(self._template_names(doc), ctx, doc.doc.published.isoformat())
            self._static[key] = self.renderer.render(html)
        return self._static[key]

    def consent_document(
        self,
        doc: ContentDoc,
        patient: Patient | None,
        packet: tuple[EnclosedDoc, ...],
        today: dt.date,
        created: str,
    ) -> weasyprint.Document:
        """A consent form, personalised, with a QR code on every page.

        Print forms: the body (the same for every patient) is laid out once; per patient only
        the page margins are laid out and grafted onto it. Fillable forms carry the patient's
        values and field names in the body too, so they are laid out whole."""
        if self.options.fillable:
            ctx = self._page(patient, doc, packet, today)
            html = self._html(self._template_names(doc), ctx, created)
            key = (doc.id, doc.language)
            pages = self._consent_pages.get(key, 12) + QR_SPARE_PAGES
            while True:
                rendered = self.renderer.render(html, self._qr_css(patient, doc, pages))
                self._consent_pages[key] = len(rendered.pages)
                if len(rendered.pages) <= pages:
                    return rendered
                pages = len(rendered.pages)
        body = self.consent_body(doc)
        ctx = self._page(patient, doc, packet, today)
        ctx = replace(
            ctx, options=replace(ctx.options, margins_only=True, page_count=len(body.pages))
        )
        html = self._html(self._template_names(doc), ctx, created)
        margins = self.renderer.render(
            html, MARGINS_ONLY_CSS + self._qr_css(patient, doc, len(body.pages))
        )
        if len(margins.pages) != len(body.pages):
            raise RenderError(
                f"{doc.id}: the consent form's margins laid out on {len(margins.pages)} pages, "
                f"its body on {len(body.pages)}; check the template's page breaks"
            )
        return body.copy(
            [graft_margins(b, m) for b, m in zip(body.pages, margins.pages, strict=True)]
        )

    def consent_body(self, doc: ContentDoc) -> weasyprint.Document:
        """The patient-independent part of a print consent form, laid out once."""
        key = ("consent-body:" + doc.id, doc.language)
        if key not in self._static:
            packet = (enclosed(doc),) + self._topic_leaflet(doc)
            ctx = self._page(None, doc, packet, doc.doc.published)
            html = self._html(self._template_names(doc), ctx, doc.doc.published.isoformat())
            self._static[key] = self.renderer.render(html)
        return self._static[key]

    def _qr_css(self, patient: Patient | None, doc: ContentDoc, pages: int) -> str:
        rules = []
        for number in range(1, pages + 1):
            payload = page_payload(patient.id if patient else "-", doc.id, doc.doc.version, number)
            rules.append(
                f'@page :nth({number}) {{ @right-bottom {{ content: url("{png_data_url(payload)}")'
                f' "\\A{_css_text(payload)}"; }} }}'
            )
        return "\n".join(rules)

    def letter_document(
        self, patient: Patient, packet: tuple[EnclosedDoc, ...], today: dt.date, created: str
    ) -> weasyprint.Document:
        ctx = self._page(patient, None, packet, today)
        names = self._localised(["letter.html.j2"], patient.language)
        return self.renderer.render(self._html(names, ctx, created))

    def blank_document(
        self, patient: Patient | None, today: dt.date, created: str
    ) -> weasyprint.Document:
        ctx = self._page(patient, None, (), today, blank=True)
        language = patient.language if patient else self.kit.clinic.language
        names = self._localised(["blank.html.j2"], language)
        return self.renderer.render(self._html(names, ctx, created))

    # -- packets -------------------------------------------------------------------------

    def packet_documents(self, patient: Patient) -> list[ContentDoc]:
        """The packet's documents in the patient's language; every missing translation is
        reported at once."""
        ids = self.library.packet_ids(list(patient.treatments), patient.first_visit)
        docs: list[ContentDoc] = []
        problems: list[Problem] = []
        for doc_id in ids:
            try:
                docs.append(self.library.get(doc_id, patient.language))
            except InputError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ContentError.from_problems(problems)
        return docs

    def check_printable(self, patient: Patient) -> None:
        """A name printed as empty boxes on a medical record is worse than an error."""
        fields = {
            "id": patient.id,
            "name.given": patient.name.given,
            "name.family": patient.name.family,
            "appointment.practitioner": patient.appointment.practitioner,
            "appointment.location": patient.appointment.location,
            "special_requirements": patient.special_requirements or "",
        }
        problems = []
        for key, text in fields.items():
            missing = self.renderer.unprintable(text)
            if missing:
                shown = ", ".join(f"{c} (U+{ord(c):04X})" for c in missing[:5])
                problems.append(
                    Problem(
                        f"patient {patient.id}",
                        f"no font of the kit can print {shown}",
                        None,
                        key,
                        hint="remove the character, or add a font that has it to clinic.yaml",
                    )
                )
        if problems:
            raise InputError.from_problems(problems)

    def build_packet(self, patient: Patient, origin: Loaded | None = None) -> BuiltPDF:
        """Cover letter, leaflets, consent forms, aftercare sheets: one PDF.

        ``origin``, the patient file as loaded, lets errors point at its lines."""
        where: Path | str = origin.path if origin else f"patient {patient.id}"
        self.library.check_treatments(
            list(patient.treatments), where, origin.line_of if origin else None
        )
        self.check_printable(patient)
        try:
            docs = self.packet_documents(patient)
        except ContentError as exc:  # say which line asked for that language
            asked = Problem(
                where,
                f"the packet needs every document in '{patient.language}'",
                origin.line_of(("language",)) if origin else None,
                "language",
            )
            raise ContentError.from_problems([asked, *exc.problems]) from None
        packet = tuple(enclosed(d) for d in docs)
        start = local_start(patient, self.kit)
        today = start.date()
        created = start.replace(microsecond=0).isoformat()

        parts: list[Part] = []
        letter = self.letter_document(patient, packet, today, created)
        parts.append(Part("cover-letter", "Cover letter", "", patient.language, "letter", letter))
        for doc in docs:
            if doc.kind == "consent":
                rendered = self.consent_document(doc, patient, packet, today, created)
            else:
                rendered = self.static_document(doc)
            parts.append(Part.of(doc, rendered))

        metadata = DocumentMetadata(
            title=f"{self.kit.clinic.name}: patient pack for {patient.name.full}",
            authors=[self.kit.clinic.name],
            description=f"Patient {patient.id}, appointment {start.date().isoformat()}",
            keywords=[p.id for p in parts[1:]],
            generator="handouts",
            created=created,
            modified=created,
            lang=patient.language,
        )
        blank = self.blank_document(patient, today, created) if self.options.duplex else None
        return self._assemble(parts, metadata, blank, patient.language)

    def build_single(self, doc_id: str, language: str | None = None) -> BuiltPDF:
        """One document, not personalised: blank name lines."""
        doc = self.library.get(doc_id, language)
        created = doc.doc.published.isoformat()
        if doc.kind == "consent":
            rendered = self.consent_document(
                doc, None, (enclosed(doc),) + self._topic_leaflet(doc), doc.doc.published, created
            )
        else:
            rendered = self.static_document(doc)
        metadata = DocumentMetadata(
            title=f"{doc.doc.title}: {doc.label}",
            authors=[self.kit.clinic.name],
            description=doc.doc.summary,
            generator="handouts",
            created=created,
            modified=created,
            lang=doc.language,
        )
        parts = [Part.of(doc, rendered)]
        return self._assemble(parts, metadata, None, doc.language)

    def _topic_leaflet(self, doc: ContentDoc) -> tuple[EnclosedDoc, ...]:
        leaflet_id = f"{doc.topic}/leaflet"
        if not self.library.has(leaflet_id):
            return ()
        try:
            return (enclosed(self.library.get(leaflet_id, doc.language)),)
        except Exception:
            return ()

    def _assemble(
        self,
        parts: list[Part],
        metadata: DocumentMetadata,
        blank: weasyprint.Document | None,
        language: str,
    ) -> BuiltPDF:
        pages: list[weasyprint.Page] = []
        records: list[DocRecord] = []
        for part in parts:
            if blank is not None and len(pages) % 2 == 1:
                pages.extend(blank.pages)
            records.append(
                DocRecord(
                    part.id,
                    part.title,
                    part.version,
                    part.language,
                    part.kind,
                    len(pages) + 1,
                    len(part.rendered.pages),
                    part.content_sha256,
                )
            )
            pages.extend(part.rendered.pages)
        first = parts[0].rendered
        combined = first.copy(pages)
        combined.metadata = metadata
        try:
            with fixed_font_timestamp(metadata.created):
                pdf = combined.write_pdf(
                    pdf_tags=True,
                    pdf_forms=self.options.fillable,
                    pdf_variant=self.options.pdf_variant,
                    uncompressed_pdf=False,
                )
        except ResourceRefused as exc:  # e.g. an attachment link in a kit template
            raise RenderError(str(exc)) from None
        return BuiltPDF(pdf, len(pages), tuple(records), language)
