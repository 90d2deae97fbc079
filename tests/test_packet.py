"""The packet pipeline end to end (issue 2), checked by reading the written PDFs back.

Each packet is rendered once per session (see conftest.py); these tests only read it.
"""

from __future__ import annotations

import hashlib
import itertools

import pytest
import yaml
from conftest import (
    REPO_ROOT,
    ZOE,
    ExpectedPatient,
    Packet,
    bookmark_title,
    content_data,
    expected_doc_ids,
)
from pypdf.generic import IndirectObject

from handouts.api import build_packet


def clinic_name() -> str:
    return yaml.safe_load((REPO_ROOT / "clinic.yaml").read_text(encoding="utf-8"))["name"]


# --- structure -------------------------------------------------------------------------


def test_demo_packet_holds_the_documents_in_packet_order(
    demo_packet: Packet, zoe: ExpectedPatient
) -> None:
    # First visit + dry needling: cover letter, leaflets, consent forms, aftercare.
    assert [d.id for d in demo_packet.documents] == expected_doc_ids(zoe)
    assert "first-visit/consent" in [d.id for d in demo_packet.documents]


def test_not_first_visit_packet_has_no_first_visit_documents(
    greek_packet: Packet, dimitrios: ExpectedPatient
) -> None:
    ids = [d.id for d in greek_packet.documents]
    assert ids == expected_doc_ids(dimitrios)
    assert not [i for i in ids if i.startswith("first-visit/")]


def test_page_count_is_the_sum_of_the_documents(any_packet: tuple[Packet, ExpectedPatient]) -> None:
    packet, _ = any_packet
    assert len(packet.reader.pages) == packet.pages
    blanks = len(packet.filler_pages())
    assert packet.pages == sum(d.pages for d in packet.documents) + blanks
    assert all(d.pages >= 1 for d in packet.documents)


@pytest.mark.parametrize("fixture", ["demo_packet", "greek_packet"])
def test_simplex_documents_follow_each_other(fixture: str, request: pytest.FixtureRequest) -> None:
    packet: Packet = request.getfixturevalue(fixture)
    assert packet.filler_pages() == []
    assert packet.documents[0].first_page == 1
    for before, after in itertools.pairwise(packet.documents):
        assert after.first_page == before.first_page + before.pages


def test_document_records_carry_title_and_version_from_the_content(demo_packet: Packet) -> None:
    for record in demo_packet.documents[1:]:
        data = content_data(record.id)
        assert (record.title, record.version, record.kind) == (
            data["title"],
            str(data["version"]),
            record.id.split("/")[1],
        )


def test_written_record_matches_the_file(demo_packet: Packet) -> None:
    assert hashlib.sha256(demo_packet.data).hexdigest() == demo_packet.sha256
    assert demo_packet.data.startswith(b"%PDF-")


# --- bookmarks and page numbers ----------------------------------------------------------


def test_top_level_bookmarks_are_the_documents(any_packet: tuple[Packet, ExpectedPatient]) -> None:
    packet, _ = any_packet
    reader = packet.reader
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == [bookmark_title(d.id) for d in packet.documents]
    # Each bookmark opens its document's first page.
    assert [reader.get_destination_page_number(item) + 1 for item in top] == [
        d.first_page for d in packet.documents
    ]


def test_dry_needling_bookmarks_are_named_as_the_issue_says(demo_packet: Packet) -> None:
    titles = [item.title for item in demo_packet.reader.outline if not isinstance(item, list)]
    assert "Cover letter" in titles
    assert "Information leaflet: Dry needling" in titles
    assert "Consent form: Consent to dry needling" in titles
    assert f"Aftercare: {content_data('dry-needling/aftercare')['title']}" in titles


def test_page_numbers_restart_in_every_document(any_packet: tuple[Packet, ExpectedPatient]) -> None:
    packet, _ = any_packet
    for record in packet.documents:
        for offset, number in enumerate(packet.page_numbers(record.id), start=1):
            assert f"Page {offset} of {record.pages}" in packet.text(number), (record.id, number)


def test_every_document_starts_at_page_1(demo_packet: Packet) -> None:
    # The issue's wording: "Page 1 of N" per document.
    starts = [demo_packet.text(d.first_page) for d in demo_packet.documents]
    assert all(
        f"Page 1 of {d.pages}" in text
        for d, text in zip(demo_packet.documents, starts, strict=True)
    )


# --- metadata, tags, fonts ---------------------------------------------------------------


def test_metadata_names_patient_and_clinic(any_packet: tuple[Packet, ExpectedPatient]) -> None:
    packet, patient = any_packet
    clinic = clinic_name()
    metadata = packet.reader.metadata
    assert metadata is not None
    assert patient.full_name in metadata.title
    assert metadata.author == clinic


def test_language_and_tags(any_packet: tuple[Packet, ExpectedPatient]) -> None:
    packet, _ = any_packet
    catalog = packet.reader.trailer["/Root"]
    assert catalog["/Lang"] == "en"
    assert "/StructTreeRoot" in catalog
    # pypdf's BooleanObject is always truthy: compare its value.
    assert catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712


def _fonts(resources, seen: set[int]):  # type: ignore[no-untyped-def]
    """Every font dictionary used by a page, including inside form XObjects."""
    resources = resources.get_object() if resources is not None else None
    if not resources:
        return
    for font in (resources.get("/Font") or {}).values():
        yield font.get_object()
    for xobject in (resources.get("/XObject") or {}).values():
        key = xobject.idnum if isinstance(xobject, IndirectObject) else id(xobject)
        if key in seen:
            continue
        seen.add(key)
        obj = xobject.get_object()
        if "/Resources" in obj:
            yield from _fonts(obj["/Resources"], seen)


def test_every_font_is_embedded(any_packet: tuple[Packet, ExpectedPatient]) -> None:
    packet, _ = any_packet
    checked: dict[str, bool] = {}
    seen: set[int] = set()
    for page in packet.reader.pages:
        for font in _fonts(page.get("/Resources"), seen):
            name = str(font.get("/BaseFont"))
            if name in checked:
                continue
            descriptor_owner = font
            if font.get("/Subtype") == "/Type0":
                descriptor_owner = font["/DescendantFonts"][0].get_object()
            descriptor = descriptor_owner.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            checked[name] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert checked, "no fonts found"
    assert [name for name, embedded in checked.items() if not embedded] == []


# --- personalisation ---------------------------------------------------------------------


def test_non_ascii_names_print_right(any_packet: tuple[Packet, ExpectedPatient]) -> None:
    # The text layer maps the glyphs back: a font printing wrong glyphs fails this. (On a
    # fillable form's first page the name is the value of a field, not page text.)
    packet, patient = any_packet
    assert patient.full_name in packet.text(1)
    for doc_id in packet.consent_ids():
        for number in packet.page_numbers(doc_id):
            assert patient.full_name in packet.shown(number), (doc_id, number)
        assert patient.full_name in packet.text(packet.record(doc_id).first_page + 1)


def test_example_names_are_the_hard_ones(zoe: ExpectedPatient, dimitrios: ExpectedPatient) -> None:
    # Guard: the names above really are the non-ASCII ones the issue asks for.
    assert zoe.full_name == "Zoë Łukasiewicz-Ó Briain"
    assert dimitrios.full_name == "Δημήτριος Папандреу-Nguyễn"


def test_cover_letter_greets_and_gives_the_appointment(
    demo_packet: Packet, zoe: ExpectedPatient
) -> None:
    first = demo_packet.text(1)
    appointment = zoe.data["appointment"]
    assert f"Dear {zoe.given}," in first
    assert "Dear Zoë," in first
    assert "Tuesday, 1 December 2026" in first
    assert f"{zoe.start:%H:%M}" in first  # 09:30 in Europe/London (UTC+0 in December)
    assert appointment["practitioner"] in first
    assert appointment["location"] in first
    assert zoe.id in first
    assert zoe.date_of_birth in first


def test_cover_letter_lists_every_enclosed_document(
    any_packet: tuple[Packet, ExpectedPatient],
) -> None:
    packet, _ = any_packet
    letter = packet.document_text("cover-letter")
    for record in packet.documents[1:]:
        assert content_data(record.id)["title"] in letter, record.id


def test_cover_letter_for_greek_name(greek_packet: Packet, dimitrios: ExpectedPatient) -> None:
    first = greek_packet.text(1)
    assert "Dear Δημήτριος," in first
    assert "Tuesday, 1 December 2026" in first
    assert "14:15" in first
    assert dimitrios.date_of_birth == "23 November 1957"
    assert dimitrios.date_of_birth in first
    assert dimitrios.data["appointment"]["practitioner"] in first


def test_leaflets_are_not_personalised(demo_packet: Packet, zoe: ExpectedPatient) -> None:
    for record in demo_packet.documents:
        if record.kind in ("leaflet", "aftercare"):
            assert zoe.id not in demo_packet.document_text(record.id), record.id


def test_single_document_render_is_not_personalised(
    single_consent: Packet, zoe: ExpectedPatient
) -> None:
    assert [d.id for d in single_consent.documents] == ["dry-needling/consent"]
    record = single_consent.documents[0]
    assert single_consent.pages == record.pages == len(single_consent.reader.pages)
    assert "Page 1 of" in single_consent.text(1)
    for number in range(1, single_consent.pages + 1):
        text = single_consent.text(number)
        assert f"Page {number} of {record.pages}" in text
        assert zoe.full_name not in text
        assert zoe.id not in text
    metadata = single_consent.reader.metadata
    assert metadata is not None
    assert metadata.author == clinic_name()


# --- reproducibility ---------------------------------------------------------------------


def test_same_packet_twice_is_byte_identical(demo_packet: Packet, tmp_path) -> None:  # type: ignore[no-untyped-def]
    again = build_packet(ZOE, tmp_path / "again.pdf", kit=REPO_ROOT)
    assert again.sha256 == demo_packet.sha256
    assert (tmp_path / "again.pdf").read_bytes() == demo_packet.data
