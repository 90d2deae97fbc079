"""Consent forms (issue 3): identifiers on every page, risk table, practitioner's statement,
fillable fields, the QR payload, duplex filler pages.

Packets are rendered once per session (conftest.py). The QR code cannot be decoded here (no
decoder is installed), so its payload is tested at the function level and in the CSS the
builder hands to WeasyPrint, and its printed text form is read back from the PDF.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import itertools
import re

import pytest
import segno
from conftest import (
    DIMITRIOS,
    REPO_ROOT,
    ZOE,
    ExpectedPatient,
    Packet,
    content_data,
    load_data,
    normalise,
)
from PIL import Image
from pypdf import PdfReader

from handouts.build import PacketBuilder
from handouts.config import load_kit
from handouts.patient import Patient, load_patient
from handouts.qr import page_payload, png_data_url
from handouts.render import RenderOptions


def consent_pages(packet: Packet) -> list[tuple[str, int, int]]:
    """(form id, page within the form, packet page number) for every consent page."""
    pages = []
    for doc_id in packet.consent_ids():
        for offset, number in enumerate(packet.page_numbers(doc_id), start=1):
            pages.append((doc_id, offset, number))
    return pages


def version_of(doc_id: str) -> str:
    return str(content_data(doc_id)["version"])


# --- identifiers on every page -----------------------------------------------------------


def test_packets_hold_consent_forms(
    demo_packet: Packet, greek_packet: Packet, fillable_duplex_packet: Packet
) -> None:
    assert demo_packet.consent_ids() == ["first-visit/consent", "dry-needling/consent"]
    assert fillable_duplex_packet.consent_ids() == ["first-visit/consent", "dry-needling/consent"]
    assert greek_packet.consent_ids() == ["dry-needling/consent"]


def test_every_consent_page_identifies_patient_and_form(
    any_packet: tuple[Packet, ExpectedPatient],
) -> None:
    packet, patient = any_packet
    pages = consent_pages(packet)
    assert len(pages) >= 2
    for doc_id, offset, number in pages:
        shown = packet.shown(number)
        total = packet.record(doc_id).pages
        where = f"{doc_id} page {offset} (packet page {number})"
        assert patient.full_name in shown, where
        assert patient.date_of_birth in shown, where
        assert patient.id in shown, where
        assert doc_id in shown, where
        assert f"Version {version_of(doc_id)}" in shown, where
        assert f"Page {offset} of {total}" in shown, where


def test_identifier_band_is_printed_on_every_page_after_the_first(
    any_packet: tuple[Packet, ExpectedPatient],
) -> None:
    # Page text only (not field values): the compact band of issue 3, item 1.
    packet, patient = any_packet
    for doc_id, offset, number in consent_pages(packet):
        if offset == 1:
            continue
        text = packet.text(number)
        band = f"Patient {patient.full_name} Date of birth {patient.date_of_birth} ID {patient.id}"
        assert band in text, (doc_id, offset)


def test_date_of_birth_is_formatted_for_the_clinic(
    zoe: ExpectedPatient, demo_packet: Packet
) -> None:
    assert zoe.date_of_birth == "9 March 1984"
    first = demo_packet.record("dry-needling/consent").first_page
    assert "Date of birth 9 March 1984" in demo_packet.text(first)
    assert "1984-03-09" not in demo_packet.document_text("dry-needling/consent")


def test_qr_text_is_printed_on_every_consent_page(
    any_packet: tuple[Packet, ExpectedPatient],
) -> None:
    packet, patient = any_packet
    for doc_id, offset, number in consent_pages(packet):
        payload = f"HANDOUTS1|{patient.id}|{doc_id}|{version_of(doc_id)}|p{offset}"
        assert payload in packet.text(number), (doc_id, offset)


def test_qr_text_of_demo_dry_needling_form(demo_packet: Packet) -> None:
    first = demo_packet.record("dry-needling/consent").first_page
    assert "HANDOUTS1|P-000123|dry-needling/consent|1.0|p1" in demo_packet.text(first)
    assert "HANDOUTS1|P-000123|dry-needling/consent|1.0|p2" in demo_packet.text(first + 1)


def test_no_qr_text_outside_consent_forms(demo_packet: Packet) -> None:
    for record in demo_packet.documents:
        if record.kind != "consent":
            assert "HANDOUTS1|" not in demo_packet.document_text(record.id), record.id


# --- content of the form -------------------------------------------------------------------


def number_text(per_10000: float) -> str:
    """The issue's "about N in 10,000" (below 1 in 10,000 there is no sensible "about")."""
    if per_10000 < 1:
        return "less than 1 in 10,000"
    shown = f"{per_10000:,.0f}" if per_10000 >= 10 else f"{per_10000:,.1f}".rstrip("0").rstrip(".")
    return f"about {shown} in 10,000"


def plain(text: str) -> str:
    """Content text without its inline Markdown emphasis, whitespace normalised."""
    return normalise(re.sub(r"[*_]{1,2}", "", text))


@pytest.mark.parametrize("fixture", ["demo_packet", "greek_packet"])
def test_risk_table_gives_word_and_number_for_every_risk(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    packet: Packet = request.getfixturevalue(fixture)
    for doc_id in packet.consent_ids():
        text = packet.document_text(doc_id)
        risks = content_data(doc_id)["risks"]
        assert risks
        cursor = text.index("3. Risks")
        for risk in risks:
            # Row by row, in the YAML's order: the risk, its frequency word, its number.
            name_at = text.index(plain(risk["name"]), cursor)
            cell = f"{risk['frequency'].capitalize()} {number_text(risk['per_10000'])}"
            cell_at = text.index(cell, name_at)
            cursor = cell_at + len(cell)


def test_dry_needling_risks_use_the_brady_figures(demo_packet: Packet) -> None:
    text = demo_packet.document_text("dry-needling/consent")
    assert "Very common about 1,918 in 10,000" in text
    assert "Common about 755 in 10,000" in text
    assert "Very rare less than 1 in 10,000" in text


@pytest.mark.parametrize("fixture", ["demo_packet", "greek_packet", "single_consent"])
def test_practitioner_statement_names_the_leaflet_and_its_version(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    packet: Packet = request.getfixturevalue(fixture)
    for doc_id in packet.consent_ids():
        leaflet_id = f"{doc_id.split('/')[0]}/leaflet"
        leaflet = content_data(leaflet_id)
        text = packet.document_text(doc_id)
        statement = text[text.index("Practitioner's statement") :]
        pattern = (
            rf"Information given: {re.escape(leaflet['title'])} \([^)]*"
            rf"{re.escape(leaflet_id)}, version {re.escape(str(leaflet['version']))}\)"
        )
        assert re.search(pattern, statement), (doc_id, statement[:400])


def test_form_has_every_section_of_the_standard(demo_packet: Packet) -> None:
    record = demo_packet.record("dry-needling/consent")
    # The identification block opens the form (where it sits in the text layer is layout's
    # business: it may be a margin box).
    first = demo_packet.shown(record.first_page)
    for label in (
        "Patient details",
        "Full name",
        "Date of birth",
        "Record number",
        "Interpreter needed",
    ):
        assert label in first, label
    text = demo_packet.document_text(record.id)
    sections = [
        "The procedure",
        "What you will feel",
        "Intended benefits",
        "Risks",
        "Alternatives",
        "No treatment",
        "Health questions",
        "Practitioner's statement",
        "Patient's statement",
        "Parent or guardian",
        "Interpreter",
        "A copy of this form was given to the patient",
    ]
    cursor = 0
    for section in sections:  # each found after the one before
        cursor = text.index(section, cursor) + len(section)


def test_every_screening_question_is_printed(demo_packet: Packet) -> None:
    for doc_id in demo_packet.consent_ids():
        text = demo_packet.document_text(doc_id)
        for question in content_data(doc_id)["screening"]:
            assert plain(question["question"]) in text, (doc_id, question["id"])


# --- print form and fillable form ------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["demo_packet", "greek_packet", "single_consent"])
def test_print_form_has_no_fields(fixture: str, request: pytest.FixtureRequest) -> None:
    packet: Packet = request.getfixturevalue(fixture)
    assert not packet.reader.get_fields()
    assert "/AcroForm" not in packet.reader.trailer["/Root"]


def widget_names(reader: PdfReader) -> list[str]:
    """The name of every field widget on every page (a shared name would appear twice)."""
    names = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Widget":
                name = annot.get("/T")
                if name is None and "/Parent" in annot:
                    name = annot["/Parent"].get_object().get("/T")
                names.append(str(name))
    return names


def test_fillable_packet_has_fields(fillable_duplex_packet: Packet) -> None:
    fields = fillable_duplex_packet.reader.get_fields()
    assert fields
    assert len(fields) > 20


def test_no_two_widgets_share_a_field_name(fillable_duplex_packet: Packet) -> None:
    names = widget_names(fillable_duplex_packet.reader)
    assert names
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_each_consent_form_has_its_own_namespaced_fields(
    fillable_duplex_packet: Packet, zoe: ExpectedPatient
) -> None:
    fields = fillable_duplex_packet.reader.get_fields() or {}
    first = {n for n in fields if n.startswith(f"{zoe.id}-first-visit-consent-")}
    needling = {n for n in fields if n.startswith(f"{zoe.id}-dry-needling-consent-")}
    assert first and needling
    assert first.isdisjoint(needling)
    # The same field of the two forms has two names.
    assert f"{zoe.id}-first-visit-consent-patient-name" in fields
    assert f"{zoe.id}-dry-needling-consent-patient-name" in fields
    assert all("." not in name for name in first | needling)  # "." would nest PDF fields


def test_fields_sit_on_their_own_forms_pages(
    fillable_duplex_packet: Packet, zoe: ExpectedPatient
) -> None:
    packet = fillable_duplex_packet
    for doc_id in packet.consent_ids():
        prefix = f"{zoe.id}-{doc_id.replace('/', '-')}-"
        on_form = set()
        for number in packet.page_numbers(doc_id):
            for annot in packet.reader.pages[number - 1].get("/Annots") or []:
                annot = annot.get_object()
                if annot.get("/Subtype") == "/Widget":
                    on_form.add(str(annot.get("/T")))
        assert on_form and all(name.startswith(prefix) for name in on_form), doc_id


def test_known_values_are_prefilled(fillable_duplex_packet: Packet, zoe: ExpectedPatient) -> None:
    fields = fillable_duplex_packet.reader.get_fields() or {}
    practitioner = zoe.data["appointment"]["practitioner"]
    for form in ("first-visit-consent", "dry-needling-consent"):
        prefix = f"{zoe.id}-{form}-"
        values = {
            name[len(prefix) :]: f.get("/V")
            for name, f in fields.items()
            if name.startswith(prefix)
        }
        assert values["patient-name"] == zoe.full_name
        assert values["date-of-birth"] == zoe.date_of_birth
        assert values["record-number"] == zoe.id
        assert values["practitioner-name"] == practitioner
        assert values["patient-print-name"] == zoe.full_name
        # Nothing is signed or dated in advance.
        for blank in (
            "patient-signature",
            "patient-date",
            "practitioner-signature",
            "practitioner-date",
        ):
            assert not values[blank], blank


def test_screening_answers_and_copy_given_are_checkboxes(
    fillable_duplex_packet: Packet, zoe: ExpectedPatient
) -> None:
    fields = fillable_duplex_packet.reader.get_fields() or {}
    for doc_id in ("first-visit/consent", "dry-needling/consent"):
        prefix = f"{zoe.id}-{doc_id.replace('/', '-')}-"
        for question in content_data(doc_id)["screening"]:
            for answer in ("yes", "no"):
                name = f"{prefix}screen-{question['id']}-{answer}"
                assert fields[name].get("/FT") == "/Btn", name
                assert fields[name].get("/V") in (None, "/Off"), name
        assert fields[f"{prefix}copy-given"].get("/FT") == "/Btn"
        assert fields[f"{prefix}patient-signature"].get("/FT") == "/Tx"


def test_interpreter_need_is_filled_in_from_the_patient_record() -> None:
    # Dimitrios' record says `interpreter: true`; issue 3 item 1 puts "interpreter needed" in
    # the identification block, and known values are pre-filled. One form is rendered here.
    kit = load_kit(REPO_ROOT)
    builder = PacketBuilder(kit, RenderOptions(fillable=True))
    patient = load_patient(DIMITRIOS)
    assert patient.interpreter is True
    doc = builder.library.get("dry-needling/consent", patient.language)
    day = dt.date(2026, 12, 1)
    rendered = builder.consent_document(doc, patient, (), day, "2026-12-01T14:15:00")
    reader = PdfReader(io.BytesIO(rendered.write_pdf(pdf_forms=True)))
    fields = reader.get_fields() or {}
    prefix = f"{patient.id}-dry-needling-consent-"
    assert fields[f"{prefix}interpreter-language"].get("/V") == "English"
    assert fields[f"{prefix}interpreter-yes"].get("/V") not in (None, "/Off")
    assert fields[f"{prefix}interpreter-no"].get("/V") in (None, "/Off")


# --- duplex -----------------------------------------------------------------------------------


def test_duplex_every_document_starts_on_an_odd_page(fillable_duplex_packet: Packet) -> None:
    starts = [d.first_page for d in fillable_duplex_packet.documents]
    assert all(page % 2 == 1 for page in starts), starts


def test_duplex_inserts_only_the_blank_pages_it_needs(fillable_duplex_packet: Packet) -> None:
    packet = fillable_duplex_packet
    docs = packet.documents
    assert packet.filler_pages()  # the demo documents have odd page counts
    expected = []
    for before, after in itertools.pairwise(docs):
        end = before.first_page + before.pages  # the page after `before`
        assert after.first_page - end in (0, 1), (before.id, after.id)
        if after.first_page != end:
            expected.append(end)
    assert packet.filler_pages() == expected
    assert packet.pages == docs[-1].first_page + docs[-1].pages - 1


def test_duplex_blank_pages_say_so_and_identify_the_patient(
    fillable_duplex_packet: Packet, zoe: ExpectedPatient
) -> None:
    for number in fillable_duplex_packet.filler_pages():
        text = fillable_duplex_packet.text(number)
        assert "This page is intentionally left blank" in text, number
        assert zoe.full_name in text, number
        assert zoe.id in text, number
        assert zoe.date_of_birth in text, number


def test_simplex_has_no_blank_pages(demo_packet: Packet) -> None:
    for number in range(1, demo_packet.pages + 1):
        assert "intentionally left blank" not in demo_packet.text(number)


def test_duplex_keeps_the_documents_page_counts(
    fillable_duplex_packet: Packet, demo_packet: Packet
) -> None:
    assert [(d.id, d.pages) for d in fillable_duplex_packet.documents] == [
        (d.id, d.pages) for d in demo_packet.documents
    ]


# --- QR payload: function level -----------------------------------------------------------------


def split_payload(payload: str) -> list[str]:
    """Split on unescaped ``|`` and unescape: what a scanner-side reader would do."""
    fields, current, chars = [], "", iter(payload)
    for char in chars:
        if char == "\\":
            current += next(chars)
        elif char == "|":
            fields.append(current)
            current = ""
        else:
            current += char
    fields.append(current)
    return fields


def test_payload_format() -> None:
    assert page_payload("P-000123", "dry-needling/consent", "1.0", 1) == (
        "HANDOUTS1|P-000123|dry-needling/consent|1.0|p1"
    )
    assert page_payload("P-000123", "dry-needling/consent", "1.0", 12).endswith("|p12")


@pytest.mark.parametrize(
    ("patient_id", "expected"),
    [
        ("A|B", "HANDOUTS1|A\\|B|x/consent|2|p3"),
        ("A\\B", "HANDOUTS1|A\\\\B|x/consent|2|p3"),
        ("A\\|B", "HANDOUTS1|A\\\\\\|B|x/consent|2|p3"),
    ],
)
def test_payload_escapes_separators_in_ids(patient_id: str, expected: str) -> None:
    assert page_payload(patient_id, "x/consent", "2", 3) == expected


@pytest.mark.parametrize(
    "patient_id", ["P-000123", "A|B", "|", "A\\", "\\|\\", "Zoë|Ł", "p1|p2|p3"]
)
def test_payload_always_splits_back_into_five_fields(patient_id: str) -> None:
    payload = page_payload(patient_id, "topic|x/consent", "1.0", 7)
    assert split_payload(payload) == ["HANDOUTS1", patient_id, "topic|x/consent", "1.0", "p7"]


def png_modules(url: str) -> set[tuple[int, int]]:
    """The dark modules (row, column) of a QR code PNG data URL, border removed."""
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(url[len(prefix) :], validate=True)))
    image = image.convert("L")
    width, height = image.size
    assert width == height
    border = 2
    # (modules + 2 * border) squares of `scale` pixels; the top-left finder pattern's corner
    # is the first dark pixel on the diagonal, at border * scale.
    first_dark = next(x for x in range(width) if image.getpixel((x, x)) < 128)
    scale = first_dark // border
    size = width // scale - 2 * border
    return {
        (r, c)
        for r in range(size)
        for c in range(size)
        if image.getpixel(((c + border) * scale + scale // 2, (r + border) * scale + scale // 2))
        < 128
    }


def encodes(dark: set[tuple[int, int]], payload: str) -> bool:
    """Whether the dark modules are the QR symbol of ``payload`` under any error level and mask.

    No decoder is installed; the symbol of a payload is fixed by its error level and mask,
    so comparing against all 32 is as good as decoding."""
    for error in "lmqh":
        for mask in range(8):
            try:
                code = segno.make(payload, error=error, mask=mask, micro=False, boost_error=False)
            except segno.DataOverflowError:
                continue
            matrix = {
                (r, c) for r, row in enumerate(code.matrix) for c, bit in enumerate(row) if bit
            }
            if matrix == dark:
                return True
    return False


def test_png_data_url_is_a_qr_code_of_the_payload() -> None:
    payload = "HANDOUTS1|P-000123|dry-needling/consent|1.0|p1"
    url = png_data_url(payload)
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    width_mm = image.size[0] / 96 * 25.4  # CSS pixels
    assert 16 <= width_mm <= 24
    assert encodes(png_modules(url), payload)
    assert not encodes(png_modules(url), payload.replace("|p1", "|p2"))


def test_png_data_url_keeps_escaped_ids() -> None:
    payload = page_payload("A|B", "dry-needling/consent", "1.0", 2)
    assert encodes(png_modules(png_data_url(payload)), payload)


# --- QR payload: the CSS the builder gives WeasyPrint ---------------------------------------

CSS_RULE = re.compile(
    r'@page :nth\((\d+)\) \{ @right-bottom \{ content: url\("([^"]+)"\) "((?:[^"\\]|\\.)*)"; \} \}'
)


def css_string_value(text: str) -> str:
    """Unescape a CSS string body as CSS does: ``\\A `` is a line break, ``\\x`` is x."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        hex_escape = re.match(r"[0-9a-fA-F]{1,6} ?", text[index + 1 :])
        if hex_escape:
            out.append(chr(int(hex_escape.group().strip(), 16)))
            index += 1 + hex_escape.end()
        else:
            out.append(text[index + 1])
            index += 2
    return "".join(out)


@pytest.fixture(scope="module")
def builder() -> PacketBuilder:
    return PacketBuilder(load_kit(REPO_ROOT))


def patient_with_id(patient_id: str) -> Patient:
    data = load_data(ZOE)
    data["id"] = patient_id
    return Patient.model_validate(data)


@pytest.mark.parametrize("patient_id", ["P-000123", "A|B\\C", None])
def test_qr_css_has_one_rule_per_page_with_the_payload(
    builder: PacketBuilder, patient_id: str | None
) -> None:
    doc = builder.library.get("dry-needling/consent")
    version = str(content_data("dry-needling/consent")["version"])
    patient = patient_with_id(patient_id) if patient_id is not None else None
    css = builder._qr_css(patient, doc, 5)
    rules = CSS_RULE.findall(css)
    assert len(rules) == 5 == css.count("@page ")
    for index, (number, url, text) in enumerate(rules, start=1):
        expected = page_payload(patient_id or "-", "dry-needling/consent", version, index)
        assert int(number) == index
        assert encodes(png_modules(url), expected), (index, expected)
        # The printed text form: the payload, one field a line.
        assert css_string_value(text).strip().replace("\n", "") == expected


def test_unpersonalised_form_prints_a_placeholder_patient_id(single_consent: Packet) -> None:
    version = version_of("dry-needling/consent")
    for number in range(1, single_consent.pages + 1):
        assert f"HANDOUTS1|-|dry-needling/consent|{version}|p{number}" in single_consent.text(
            number
        )
