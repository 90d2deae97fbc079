"""The template context: the documented contract between the code and every template.

Templates receive exactly the top-level names of :class:`PageContext` (``clinic``,
``patient``, ``appointment``, ``doc``, ``packet``, ``form``, ``options``, ``today``). Each
class documents every field under "Fields"; a test checks that nothing goes undocumented.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time

from .config import Kit
from .content import FREQUENCY_WORDING, ContentDoc, Document
from .patient import Patient


@dataclass(frozen=True)
class ClinicContext:
    """The clinic as templates see it.

    Fields:
        name: clinic name.
        tagline: short line under the name, or "".
        logo_url: URL of the logo file inside the kit, or "" when there is none.
        logo_alt: alternative text of the logo.
        address: address lines.
        phone: main phone number.
        email: contact email.
        website: website address, or "".
        emergency_number: the emergency number (e.g. 999).
        emergency_label: what the emergency number reaches.
        out_of_hours: out-of-hours advice line, or "".
        legal: registration and legal lines for the footer.
        letter_signoff: who signs the cover letter.
        what_to_bring: list of things to bring to the appointment.
        what_to_wear: advice on clothing.
        cancellation: how to cancel or change an appointment.
    """

    name: str
    tagline: str
    logo_url: str
    logo_alt: str
    address: tuple[str, ...]
    phone: str
    email: str
    website: str
    emergency_number: str
    emergency_label: str
    out_of_hours: str
    legal: tuple[str, ...]
    letter_signoff: str
    what_to_bring: tuple[str, ...]
    what_to_wear: str
    cancellation: str


@dataclass(frozen=True)
class PatientContext:
    """The patient a page is personalised for (``None`` on a blank, unpersonalised render).

    Fields:
        id: the clinic record number.
        full_name: given and family name.
        given: given name.
        family: family name.
        date_of_birth: date of birth in the clinic's date format.
        date_of_birth_iso: date of birth as YYYY-MM-DD.
        language: language code of the packet.
        language_name: language name, in English (for the special requirements line).
        interpreter: whether an interpreter is needed.
        special_requirements: free text, or "".
        email: email address, or "".
    """

    id: str
    full_name: str
    given: str
    family: str
    date_of_birth: str
    date_of_birth_iso: str
    language: str
    language_name: str
    interpreter: bool
    special_requirements: str
    email: str


@dataclass(frozen=True)
class AppointmentContext:
    """The appointment on the cover letter.

    Fields:
        date: the date, in the clinic's date format with weekday.
        time: the start time.
        practitioner: who the patient will see.
        location: where.
        start_iso: start as ISO 8601.
    """

    date: str
    time: str
    practitioner: str
    location: str
    start_iso: str


@dataclass(frozen=True)
class EnclosedDoc:
    """One document of the packet, as listed on the cover letter and consent forms.

    Fields:
        id: document ID, topic/kind.
        title: document title.
        version: version string.
        kind: leaflet, aftercare or consent.
        kind_label: human name of the kind.
    """

    id: str
    title: str
    version: str
    kind: str
    kind_label: str


@dataclass(frozen=True)
class RiskRow:
    """One row of a consent form's risk table.

    Fields:
        name: the risk.
        frequency: frequency word (very common ... very rare).
        frequency_range: the band as "1 in 100 to 1 in 10".
        number: "about N in 10,000".
        management: what is done about it.
        source: citation text of its source.
        source_number: position of its source in the sources list (1-based).
        serious: whether it is a serious risk.
    """

    name: str
    frequency: str
    frequency_range: str
    number: str
    management: str
    source: str
    source_number: int
    serious: bool


@dataclass(frozen=True)
class DocumentContext:
    """The document being rendered.

    Fields:
        id: document ID, topic/kind.
        topic: the topic (treatment) slug.
        kind: leaflet, aftercare or consent.
        kind_label: human name of the kind.
        title: title.
        summary: one or two sentence summary.
        version: version string.
        published: publication date, formatted.
        next_review: next review date, formatted.
        author: who produced it.
        language: language code.
        content: the validated content object (sections, blocks, consent parts).
        sources: the references, as (id, citation, url) objects.
        risks: consent risk table rows (empty unless consent).
        leaflets_given: leaflets of the packet for this form's topic (practitioner statement).
        form_code: short form code printed beside the QR code.
    """

    id: str
    topic: str
    kind: str
    kind_label: str
    title: str
    summary: str
    version: str
    published: str
    next_review: str
    author: str
    language: str
    content: Document
    sources: tuple[Any, ...]
    risks: tuple[RiskRow, ...]
    leaflets_given: tuple[EnclosedDoc, ...]
    form_code: str


@dataclass(frozen=True)
class FormContext:
    """How to draw form fields.

    Fields:
        fillable: draw AcroForm fields instead of lines and boxes.
        prefix: namespace for field names, unique per document and patient.
    """

    fillable: bool
    prefix: str

    def name(self, field_name: str) -> str:
        return f"{self.prefix}-{field_name}"


@dataclass(frozen=True)
class Options:
    """Render options.

    Fields:
        large_print: body text 16 pt or more.
        duplex: documents start on odd pages.
        paper: A4 or letter.
        blank_page: this render is a duplex filler page.
        margins_only: render only the page margins (the personal parts) of a consent form.
        page_count: pages to lay out when margins_only.
    """

    large_print: bool
    duplex: bool
    paper: str
    blank_page: bool = False
    margins_only: bool = False
    page_count: int = 1


@dataclass(frozen=True)
class PageContext:
    """Everything a template can use.

    Fields:
        clinic: the clinic (ClinicContext).
        patient: the patient (PatientContext) or None when not personalised.
        appointment: the appointment (AppointmentContext) or None.
        doc: the document (DocumentContext) or None for the cover letter and blank pages.
        packet: the documents of the packet, in order (EnclosedDoc list).
        form: form-field settings (FormContext).
        options: render options (Options).
        today: the date the packet is for, formatted.
        placeholders: values for {clinic_phone}, {emergency_number}, {clinic_name} in content.
    """

    clinic: ClinicContext
    patient: PatientContext | None
    appointment: AppointmentContext | None
    doc: DocumentContext | None
    packet: tuple[EnclosedDoc, ...]
    form: FormContext
    options: Options
    today: str
    placeholders: dict[str, str] = field(default_factory=dict)

    def as_template_vars(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --- builders -------------------------------------------------------------------------


def babel_locale(kit: Kit) -> Locale:
    return Locale.parse(kit.clinic.locale.replace("-", "_"))


def format_day(value: dt.date, kit: Kit, weekday: bool = False) -> str:
    # the locale's own full pattern carries the weekday in its usual place
    fmt = (
        "full" if weekday and kit.clinic.date_format in ("long", "full") else kit.clinic.date_format
    )
    return format_date(value, format=fmt, locale=babel_locale(kit))


def clinic_context(kit: Kit, logo_url: str) -> ClinicContext:
    c = kit.clinic
    return ClinicContext(
        name=c.name,
        tagline=c.tagline or "",
        logo_url=logo_url,
        logo_alt=c.logo.alt if c.logo else "",
        address=tuple(c.contact.address),
        phone=c.contact.phone,
        email=c.contact.email,
        website=c.contact.website or "",
        emergency_number=c.emergency.number,
        emergency_label=c.emergency.label,
        out_of_hours=c.emergency.out_of_hours or "",
        legal=tuple(c.legal),
        letter_signoff=c.letter_signoff,
        what_to_bring=tuple(c.what_to_bring),
        what_to_wear=c.what_to_wear,
        cancellation=c.cancellation,
    )


def placeholders(kit: Kit) -> dict[str, str]:
    c = kit.clinic
    return {
        "clinic_phone": c.contact.phone,
        "emergency_number": c.emergency.number,
        "clinic_name": c.name,
    }


def patient_context(patient: Patient, kit: Kit) -> PatientContext:
    try:
        language_name = Locale.parse(patient.language.replace("-", "_")).get_display_name("en")
    except Exception:  # an unknown code still prints as itself
        language_name = patient.language
    return PatientContext(
        id=patient.id,
        full_name=patient.name.full,
        given=patient.name.given,
        family=patient.name.family,
        date_of_birth=format_day(patient.date_of_birth, kit),
        date_of_birth_iso=patient.date_of_birth.isoformat(),
        language=patient.language,
        language_name=language_name or patient.language,
        interpreter=patient.interpreter,
        special_requirements=patient.special_requirements or "",
        email=patient.email or "",
    )


def local_start(patient: Patient, kit: Kit) -> dt.datetime:
    """The appointment start in the clinic's time zone (naive times are taken as local)."""
    from zoneinfo import ZoneInfo

    start = patient.appointment.start
    zone = ZoneInfo(kit.clinic.timezone)
    if start.tzinfo is None:
        return start.replace(tzinfo=zone)
    return start.astimezone(zone)


def appointment_context(patient: Patient, kit: Kit) -> AppointmentContext:
    start = local_start(patient, kit)
    return AppointmentContext(
        date=format_day(start.date(), kit, weekday=True),
        time=format_time(start.time(), format="short", locale=babel_locale(kit)),
        practitioner=patient.appointment.practitioner,
        location=patient.appointment.location,
        start_iso=start.isoformat(),
    )


def enclosed(doc: ContentDoc) -> EnclosedDoc:
    return EnclosedDoc(doc.id, doc.doc.title, doc.doc.version, doc.kind, doc.label)


def document_context(doc: ContentDoc, kit: Kit, packet: tuple[EnclosedDoc, ...]) -> DocumentContext:
    d = doc.doc
    citations = {s.id: s.citation for s in d.sources}
    numbers = {s.id: index for index, s in enumerate(d.sources, start=1)}
    risks = tuple(
        RiskRow(
            name=r.name,
            frequency=r.frequency,
            frequency_range=FREQUENCY_WORDING[r.frequency],
            number=r.number_text,
            management=r.management,
            source=citations.get(r.source, r.source),
            source_number=numbers.get(r.source, 0),
            serious=r.serious,
        )
        for r in d.risks or []
    )
    leaflets = tuple(e for e in packet if e.kind == "leaflet" and e.id.split("/")[0] == doc.topic)
    return DocumentContext(
        id=doc.id,
        topic=doc.topic,
        kind=doc.kind,
        kind_label=doc.label,
        title=d.title,
        summary=d.summary,
        version=d.version,
        published=format_day(d.published, kit),
        next_review=format_day(d.next_review, kit),
        author=d.author,
        language=d.language,
        content=d,
        sources=tuple(d.sources),
        risks=risks,
        leaflets_given=leaflets,
        form_code=f"{doc.id} v{d.version}",
    )


def documented_fields(cls: type) -> set[str]:
    """Field names a context class documents in its docstring (used by the contract test)."""
    doc = cls.__doc__ or ""
    names = set()
    in_fields = False
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped == "Fields:":
            in_fields = True
            continue
        if in_fields and ":" in stripped:
            names.add(stripped.split(":", 1)[0])
    return names


__all__ = ["PageContext", "asdict"]
