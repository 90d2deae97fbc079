"""Rebranding through kits: the second clinic in ``examples/kits/lakeside`` differs where it
should (paper, name, logo, override block, font), the default kit's output does not change,
``handouts init`` writes a kit that builds, and kits are found and checked as documented.

Each packet is rendered once per test session (about 7 s each) and read back with pypdf.
"""

from __future__ import annotations

import collections
import math
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from click.testing import CliRunner
from conftest import Packet, _shared_build
from pypdf.generic import ContentStream

from handouts import api
from handouts.cli import cli
from handouts.config import CONFIG_NAME, ENV_KIT, default_kit_root, load_kit, locate_kit
from handouts.errors import ConfigError, TemplateError
from handouts.render import RenderOptions
from handouts.templates import make_environment, pick_template

REPO = Path(__file__).resolve().parent.parent
LAKESIDE = REPO / "examples" / "kits" / "lakeside"
LETTER = (612, 792)
A4 = (595, 842)
# Fill colours of the Lakeside logo that nothing else in the kit uses (assets/logo.svg).
LAKESIDE_LOGO_FILLS = {(63, 167, 160), (242, 177, 52)}


# --- helpers --------------------------------------------------------------------------


def page_size(page: pypdf.PageObject) -> tuple[int, int]:
    return (round(float(page.mediabox.width)), round(float(page.mediabox.height)))


def font_names(reader: pypdf.PdfReader) -> set[str]:
    """The /BaseFont of every font embedded (with a /FontFile*) on any page."""
    names: set[str] = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources.get("/Font", {}).values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.add(str(descriptor["/FontName"]).lstrip("/"))
    return names


def fill_colours(reader: pypdf.PdfReader, page: pypdf.PageObject) -> set[tuple[int, ...]]:
    """RGB fill colours (0-255) the page draws with, in its content and its form XObjects."""
    found: set[tuple[int, ...]] = set()

    def walk(content: object, resources: object) -> None:
        for operands, operator in ContentStream(content, reader).operations:
            if operator in (b"rg", b"sc", b"scn") and len(operands) == 3:
                found.add(tuple(round(float(x) * 255) for x in operands))
            elif operator == b"Do" and resources is not None:
                xobject = resources["/XObject"][operands[0]].get_object()  # type: ignore[index]
                if xobject.get("/Subtype") == "/Form":
                    walk(xobject, xobject.get("/Resources"))

    walk(page.get_contents(), page["/Resources"])
    return found


def text_runs(page: pypdf.PageObject) -> Iterator[tuple[str, float, float, float]]:
    """(text, size in pt, x, y) of every text run; y from the page bottom."""
    runs: list[tuple[str, float, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            a, b, c, d, e, f = pypdf.mult(tm, cm)
            runs.append((text, size * math.sqrt(abs(a * d - b * c)), e, f))

    page.extract_text(visitor_text=visit)
    return iter(runs)


def chars_by_font(reader: pypdf.PdfReader) -> collections.Counter[str]:
    """Characters printed in each font (its /BaseFont), over every page."""
    printed: collections.Counter[str] = collections.Counter()

    def visit(text: str, cm: object, tm: object, font: Any, size: float) -> None:
        if text.strip() and font is not None:
            printed[str(font.get("/BaseFont", "?")).lstrip("/")] += len(text.strip())

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    return printed


def size_histogram(pages: Iterable[pypdf.PageObject]) -> collections.Counter[float]:
    """Characters printed at each font size (pt, one decimal)."""
    sizes: collections.Counter[float] = collections.Counter()
    for page in pages:
        for text, size, _, _ in text_runs(page):
            sizes[round(size, 1)] += len(text.strip())
    return sizes


def contrast(one: str, two: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    light, dark = sorted((luminance(one), luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def run_cli(args: list[str], cwd: Path | None = None) -> tuple[int, str]:
    """Run a handouts command in this process; (exit code, stdout and stderr)."""
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.output


@pytest.fixture(scope="session")
def lakeside(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Packet:
    """The Lakeside kit's demo packet (`handouts demo --kit examples/kits/lakeside`), built once
    per session and shared by the xdist workers (see conftest.py)."""
    kit = load_kit(LAKESIDE)
    patient = api.demo_patient_path(kit)
    return _shared_build(
        tmp_path_factory, worker_id, "lakeside", lambda out: api.build_packet(patient, out, kit)
    )


@pytest.fixture(scope="session")
def default(demo_packet: Packet) -> Packet:
    """The default kit's demo packet (conftest's ``demo_packet``)."""
    return demo_packet


def page_texts(packet: Packet) -> list[str]:
    return [packet.text(n) for n in range(1, packet.pages + 1)]


def first_pages(packet: Packet, kind: str) -> list[int]:
    return [d.first_page for d in packet.documents if d.kind == kind]


def pages_of(packet: Packet, kind: str) -> set[int]:
    return {n for d in packet.documents if d.kind == kind for n in packet.page_numbers(d.id)}


@pytest.fixture
def no_kit_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_KIT, raising=False)


def write_kit(folder: Path, yaml_text: str = "") -> Path:
    """A minimal kit: clinic.yaml with the required keys, plus ``yaml_text``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_NAME).write_text(
        f"name: {folder.name} clinic\n"
        "contact:\n  address: [1 Test Street]\n  phone: '0100'\n  email: a@b.example\n" + yaml_text,
        encoding="utf-8",
    )
    return folder


# --- the second clinic ----------------------------------------------------------------


def test_lakeside_is_us_letter_on_every_page(lakeside: Packet) -> None:
    assert len(lakeside.reader.pages) > 10
    assert {page_size(p) for p in lakeside.reader.pages} == {LETTER}


def test_lakeside_name_on_every_page_and_default_name_nowhere(lakeside: Packet) -> None:
    default_name = load_kit(default_kit_root()).clinic.name
    for number, text in enumerate(page_texts(lakeside), start=1):
        assert "Lakeside Sports & Spine" in text, f"page {number}"
        assert default_name not in text, f"page {number}"
    metadata = lakeside.reader.metadata
    assert metadata is not None and metadata.author == "Lakeside Sports & Spine"


def test_lakeside_logo_drawn_on_every_page(lakeside: Packet) -> None:
    # WeasyPrint draws an SVG logo as vector paths, not as an image: find the logo's own fill
    # colours (used nowhere else in the kit) on each page.
    assert load_kit(LAKESIDE).clinic.logo is not None
    for number, page in enumerate(lakeside.reader.pages, start=1):
        assert LAKESIDE_LOGO_FILLS <= fill_colours(lakeside.reader, page), f"page {number}"


def test_lakeside_brand_colours_drive_the_css(lakeside: Packet) -> None:
    clinic = load_kit(LAKESIDE).clinic
    first = fill_colours(lakeside.reader, lakeside.reader.pages[0])
    for colour in (clinic.colours.primary, clinic.colours.text):
        rgb = tuple(int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
        assert rgb in first, colour


def test_lakeside_colours_pass_contrast() -> None:
    colours = load_kit(LAKESIDE).clinic.colours
    pairs = {
        "text on background": (colours.text, colours.background),
        "primary (headings) on background": (colours.primary, colours.background),
        "accent (labels) on background": (colours.accent, colours.background),
        "on_primary on primary (table headers)": (colours.on_primary, colours.primary),
    }
    for what, (fg, bg) in pairs.items():
        assert contrast(fg, bg) >= 4.5, f"{what}: {contrast(fg, bg):.2f}:1"


def test_lakeside_kit_passes_check_strict() -> None:
    code, output = run_cli(["check", "--kit", str(LAKESIDE), "--strict"])
    assert code == 0, output


def test_lakeside_consent_override_block_on_consent_pages_only(lakeside: Packet) -> None:
    firsts = first_pages(lakeside, "consent")
    assert len(firsts) == 2  # first visit and dry needling: both use the kit's consent.html.j2
    for number in firsts:
        text = lakeside.text(number)
        assert "Insurance plan" in text and "Insurance member ID" in text  # the kit's panel
        assert "Patient details" in text  # the default block, kept through super()
        assert "Marisol Nguyễn-Ibáñez" in text
        assert "Consent form" in text  # and the default form around the block
    consent_pages = pages_of(lakeside, "consent")
    for number, text in enumerate(page_texts(lakeside), start=1):
        if number not in consent_pages:
            assert "Insurance member ID" not in text, f"page {number}"


def test_lakeside_font_embedded_and_default_font_not(lakeside: Packet) -> None:
    # Subset fonts are named "ABCDEF+Family-Style". Lato prints the text; DejaVu Sans, the
    # wide-coverage fallback, only glyphs Lato lacks (such as the tick in a checked box).
    families = {re.sub(r"^[A-Z]{6}\+", "", n) for n in font_names(lakeside.reader)}
    assert families >= {"Lato", "Lato-Bold"}, families
    assert all(re.fullmatch(r"(Lato|DejaVu-Sans)(-\w+)?", f) for f in families), families
    printed = chars_by_font(lakeside.reader)
    lato = sum(count for name, count in printed.items() if "+Lato" in name)
    assert lato > 0.99 * sum(printed.values()), printed


def test_lakeside_us_details_printed(lakeside: Packet) -> None:
    assert api.demo_patient_path(load_kit(LAKESIDE)).name == "marisol.yaml"  # its own patient
    letter = lakeside.text(1)
    assert "Marisol Nguyễn-Ibáñez" in letter  # Vietnamese and Spanish letters in Lato
    assert "December 1, 2026" in letter  # en_US dates
    assert re.search(r"9:30\sAM", letter)  # America/Chicago, en_US time (a narrow space)
    assert "your insurance card and a photo ID" in letter
    everything = " ".join(page_texts(lakeside))
    assert re.search(r"call 911\b", everything)
    assert "Health information protected under HIPAA" in everything


# --- the default kit is unchanged -------------------------------------------------------


def test_default_packet_is_a4_default_font_default_name(default: Packet) -> None:
    assert {page_size(p) for p in default.reader.pages} == {A4}
    names = font_names(default.reader)
    assert any("Atkinson-Hyperlegible" in n for n in names), names
    assert not any("Lato" in n for n in names), names
    name = load_kit(default_kit_root()).clinic.name
    for number, text in enumerate(page_texts(default), start=1):
        assert name in text, f"page {number}"
    everything = " ".join(page_texts(default))
    assert "Lakeside" not in everything
    assert "Insurance member ID" not in everything
    assert "Patient details" in everything
    assert not LAKESIDE_LOGO_FILLS & fill_colours(default.reader, default.reader.pages[0])


def test_default_output_byte_identical_after_rendering_another_kit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fonts and stylesheets are per kit: rendering Lakeside in the same process must not
    # leak its font, colours or templates into the default kit's output. fontTools stamps
    # each subset font with the current time unless SOURCE_DATE_EPOCH is set (WeasyPrint 70
    # without HarfBuzz-subset), so fix the clock to compare bytes.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    before = api.render_document("first-visit/leaflet", tmp_path / "before.pdf", default_kit_root())
    other = api.render_document("first-visit/leaflet", tmp_path / "lakeside.pdf", LAKESIDE)
    after = api.render_document("first-visit/leaflet", tmp_path / "after.pdf", default_kit_root())
    assert before.sha256 == after.sha256
    assert other.sha256 != before.sha256


def test_default_kit_is_found_next_to_the_example_kits(no_kit_env: None) -> None:
    # The repository root (which holds examples/kits/) is the default kit; a folder without
    # clinic.yaml never picks up the example kit below it.
    assert default_kit_root() == REPO
    assert locate_kit(cwd=REPO / "examples" / "kits") == REPO
    assert locate_kit(cwd=REPO).resolve() == REPO


# --- large print ----------------------------------------------------------------------


def test_large_print_body_16pt_and_nothing_off_the_page(lakeside: Packet, tmp_path: Path) -> None:
    large = api.render_document(
        "dry-needling/consent",
        tmp_path / "l.pdf",
        LAKESIDE,
        options=RenderOptions(large_print=True),
    )
    reader = pypdf.PdfReader(large.path)
    normal_pages = lakeside.page_numbers("dry-needling/consent")
    normal_sizes = size_histogram([lakeside.reader.pages[n - 1] for n in normal_pages])
    large_sizes = size_histogram(reader.pages)
    assert normal_sizes.most_common(1)[0][0] == 12.0
    assert large_sizes.most_common(1)[0][0] >= 16.0
    assert large.built.pages > len(normal_pages)  # reflowed onto more pages, not squeezed
    for number, page in enumerate(reader.pages, start=1):
        assert page_size(page) == LETTER
        width, height = LETTER
        for text, size, x, y in text_runs(page):
            # Every line starts on the page and sits fully inside it (a clipped footer fails).
            assert 0 <= x < width and size <= y <= height - size / 2, (number, text, x, y)


# --- handouts init ----------------------------------------------------------------------


def test_init_writes_a_kit_that_builds(tmp_path: Path, no_kit_env: None) -> None:
    kit = tmp_path / "north-street"
    code, output = run_cli(["init", str(kit), "--name", 'Northside "Physio": Clinic #2'])
    assert code == 0, output
    assert "Wrote a new kit" in output
    for relative in (
        "clinic.yaml",
        "README.md",
        "assets/logo.svg",
        "templates/README.md",
        "styles/README.md",
        "content/README.md",
    ):
        assert (kit / relative).is_file(), relative
    assert list((kit / "examples" / "patients").glob("*.yaml"))
    assert "builtin:consent.html.j2" in (kit / "templates" / "README.md").read_text("utf-8")
    assert not list(kit.rglob("*.part"))  # atomic writes leave no temporary files

    out = tmp_path / "demo.pdf"
    code, output = run_cli(["demo", "--kit", str(kit), "-o", str(out)], cwd=tmp_path)
    assert code == 0, output
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) > 1
    assert 'Northside "Physio": Clinic #2' in reader.pages[0].extract_text()


def test_init_refuses_to_overwrite_a_kit(tmp_path: Path) -> None:
    kit = write_kit(tmp_path / "existing", "# my edits\n")
    before = (kit / CONFIG_NAME).read_text("utf-8")
    code, output = run_cli(["init", str(kit)])
    assert code == 2
    assert f"{kit / CONFIG_NAME}: a kit is already here" in output
    assert "never overwrites clinic.yaml" in output
    assert (kit / CONFIG_NAME).read_text("utf-8") == before
    assert not (kit / "README.md").exists()


def test_init_keeps_other_existing_files(tmp_path: Path) -> None:
    kit = tmp_path / "repo"
    kit.mkdir()
    (kit / "README.md").write_text("ours\n", encoding="utf-8")
    code, output = run_cli(["init", str(kit)])
    assert code == 0, output
    assert f"Kept existing {kit / 'README.md'}" in output
    assert (kit / "README.md").read_text("utf-8") == "ours\n"
    assert load_kit(kit).clinic.name == "Repo"  # name from the folder when --name is absent


# --- which kit, and kit errors ----------------------------------------------------------


def test_kit_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flag, env, here = (write_kit(tmp_path / n) for n in ("flag", "env", "here"))
    monkeypatch.setenv(ENV_KIT, str(env))
    assert locate_kit(flag, cwd=here) == flag  # --kit beats HANDOUTS_KIT
    assert locate_kit(None, cwd=here) == env  # HANDOUTS_KIT beats the current folder
    monkeypatch.delenv(ENV_KIT)
    assert locate_kit(None, cwd=here) == here  # the current folder, as it holds clinic.yaml
    assert locate_kit(None, cwd=tmp_path) == default_kit_root()  # else the default kit


def test_kit_resolution_order_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A broken kit in HANDOUTS_KIT shows which kit each command really loaded.
    broken = write_kit(tmp_path / "broken", "papr: letter\n")
    here = write_kit(tmp_path / "here")
    monkeypatch.setenv(ENV_KIT, str(broken))
    code, output = run_cli(["list"], cwd=here)
    assert code == 2 and f"{broken / CONFIG_NAME}:6: papr: unknown key" in output
    code, output = run_cli(["list", "--kit", str(here)], cwd=tmp_path)
    assert code == 0, output
    monkeypatch.delenv(ENV_KIT)
    code, output = run_cli(["list"], cwd=here)
    assert code == 0, output


def test_kit_from_env_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_KIT, str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=r"missing: kit folder not found \(from HANDOUTS_KIT\)"):
        locate_kit(None, cwd=tmp_path)


def test_unknown_keys_in_kit_config_say_did_you_mean(tmp_path: Path) -> None:
    kit = write_kit(tmp_path / "typos", "colors:\n  primary: '#000000'\npapr: letter\n")
    config = re.escape(str(kit / CONFIG_NAME))
    with pytest.raises(ConfigError) as caught:
        load_kit(kit)
    message = str(caught.value.message)
    assert re.search(config + r":6: colors: unknown key \(did you mean 'colours'\?\)", message)
    assert re.search(config + r":8: papr: unknown key \(did you mean 'paper'\?\)", message)
    assert message.startswith("2 problems found:")


def test_unknown_nested_key_names_the_dotted_key(tmp_path: Path) -> None:
    kit = write_kit(tmp_path / "nested", "emergency:\n  numbr: '911'\n")
    with pytest.raises(
        ConfigError,
        match=r"clinic.yaml:7: emergency.numbr: unknown key \(did you mean 'number'\?\)",
    ):
        load_kit(kit)


def test_missing_template_lists_folders_searched(tmp_path: Path) -> None:
    kit_templates = tmp_path / "kit" / "templates"
    builtin = default_kit_root() / "templates"
    env = make_environment([kit_templates], builtin)
    with pytest.raises(TemplateError) as caught:
        pick_template(env, ["consent-nosuch.html.j2", "nosuch.html.j2"])
    assert caught.value.message == (
        f"template not found: tried consent-nosuch.html.j2, nosuch.html.j2 in "
        f"{kit_templates}, {builtin}"
    )


def test_most_specific_template_wins(tmp_path: Path) -> None:
    kit_templates = tmp_path / "templates"
    kit_templates.mkdir()
    (kit_templates / "consent-dry-needling.html.j2").write_text("specific", encoding="utf-8")
    (kit_templates / "consent.html.j2").write_text(
        '{% extends "builtin:blank.html.j2" %}', encoding="utf-8"
    )
    env = make_environment([kit_templates], default_kit_root() / "templates")
    names = ["consent-dry-needling.html.j2", "consent.html.j2"]
    assert pick_template(env, names).render() == "specific"
    assert pick_template(env, names[1:]).filename == str(kit_templates / "consent.html.j2")
