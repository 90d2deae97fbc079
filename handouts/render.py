"""HTML to laid-out WeasyPrint documents: stylesheets, fonts and resource fetching per kit.

One :class:`Renderer` per kit and option set parses the stylesheets and builds the font
configuration once, so a batch pays for them once (PITFALLS.md: about 18 ms a render).
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import fontpkg_atkinson_hyperlegible as atkinson
import fontpkg_noto_sans_arabic as noto_arabic
import fontpkg_noto_sans_devanagari as noto_devanagari
import fontpkg_noto_sans_thai as noto_thai
import weasyprint
from weasyprint.text.fonts import FontConfiguration

from .config import BUNDLED_FAMILIES, Font, Kit
from .errors import RenderError
from .fetcher import KitFetcher, ResourceRefused

BUNDLED_FONTS: dict[str, dict[str, Path]] = {
    "Atkinson Hyperlegible": {
        "regular": atkinson.ROOT / "files" / "AtkinsonHyperlegible-Regular.ttf",
        "bold": atkinson.ROOT / "files" / "AtkinsonHyperlegible-Bold.ttf",
        "italic": atkinson.ROOT / "files" / "AtkinsonHyperlegible-Italic.ttf",
        "bold_italic": atkinson.ROOT / "files" / "AtkinsonHyperlegible-BoldItalic.ttf",
    },
}
assert set(BUNDLED_FONTS) == set(BUNDLED_FAMILIES)
FALLBACK_FAMILY = "DejaVu Sans"


def _package_font(package: object) -> Path:
    return next((Path(package.ROOT) / "files").glob("*.ttf"))  # type: ignore[attr-defined]


def fallback_fonts(kit_fonts: Path) -> list[tuple[str, Path, str]]:
    """Whole fonts after the clinic's, in order, so a name in any script prints: Pango takes
    each character from the first font that has it. (family, file, weight)."""
    return [
        ("Noto Sans Arabic", _package_font(noto_arabic), "normal"),
        (FALLBACK_FAMILY, kit_fonts / "DejaVuSans.ttf", "normal"),  # Latin, Greek, Cyrillic...
        (FALLBACK_FAMILY, kit_fonts / "DejaVuSans-Bold.ttf", "bold"),
        ("Noto Sans Devanagari", _package_font(noto_devanagari), "normal"),
        ("Noto Sans Thai", _package_font(noto_thai), "normal"),
        # Han and kana; before Nanum, whose Han code points draw nothing
        ("Droid Sans Fallback", kit_fonts / "DroidSansFallbackFull.ttf", "normal"),
        ("Nanum Square", kit_fonts / "NanumSquareR.ttf", "normal"),  # Hangul
    ]


FONT_PACKAGE_ROOTS = tuple(
    Path(p.ROOT) for p in (atkinson, noto_arabic, noto_devanagari, noto_thai)
)
STYLE_FACES = {
    "regular": ("normal", "normal"),
    "bold": ("bold", "normal"),
    "italic": ("normal", "italic"),
    "bold_italic": ("bold", "italic"),
}
PAPER = {"A4": "A4", "letter": "letter"}


class _CollectWarnings(logging.Handler):
    """WeasyPrint logs problems (a bad CSS property, an unloadable image) instead of failing;
    we collect them and make the missing-resource ones failures."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass(frozen=True)
class RenderOptions:
    """How to print: large print, duplex filler pages, fillable forms, a PDF standard."""

    large_print: bool = False
    duplex: bool = False
    fillable: bool = False
    pdf_variant: str | None = None  # one of PDF_VARIANTS


# PDF standards WeasyPrint can meet on top of our tagged output (DOMAIN.md: PDF/UA-1 for
# accessibility, PDF/A-3 for the archive copy).
PDF_VARIANTS = ("pdf/a-3u", "pdf/a-3b", "pdf/ua-1")


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


class Renderer:
    """Renders HTML strings of one kit into WeasyPrint documents."""

    def __init__(self, kit: Kit, options: RenderOptions) -> None:
        self.kit = kit
        self.options = options
        self.font_config = FontConfiguration()
        roots = [kit.root, kit.default_root, *FONT_PACKAGE_ROOTS]
        self.fetcher = KitFetcher(roots)
        self.base_url = kit.root.as_uri() + "/"

    # -- stylesheets -------------------------------------------------------------------

    def font_faces(self) -> tuple[str, list[str]]:
        """@font-face rules for the clinic's fonts and the fallback, and the body stack."""
        rules: list[str] = []
        families: list[str] = []
        fonts = self.kit.clinic.fonts
        for font in (fonts.body, fonts.heading):
            if font is None or font.family in families:
                continue
            rules.extend(self._faces_for(font))
            families.append(font.family)
        for family, path, weight in fallback_fonts(self.kit.default_root / "assets" / "fonts"):
            rules.append(self._face(family, path, weight, "normal"))
        return "\n".join(rules), families

    def _faces_for(self, font: Font) -> list[str]:
        if font.files is None:
            files = BUNDLED_FONTS.get(font.family)
            if files is None:
                raise RenderError(
                    f"{self.kit.config_path}: fonts: '{font.family}' is not bundled; give its "
                    f"files (regular, bold, italic, bold_italic) or use one of: "
                    f"{', '.join(BUNDLED_FONTS)}"
                )
            paths = dict(files)
        else:
            paths = {
                style: self.kit.resolve(rel)
                for style, rel in font.files.model_dump().items()
                if rel is not None
            }
        return [self._face(font.family, path, *STYLE_FACES[style]) for style, path in paths.items()]

    @staticmethod
    def _face(family: str, path: Path, weight: str, style: str) -> str:
        return (
            f"@font-face {{ font-family: {_css_string(family)};"
            f" src: url({_css_string(path.as_uri())});"
            f" font-weight: {weight}; font-style: {style}; }}"
        )

    def theme_css(self) -> str:
        """Custom properties and page size from clinic.yaml."""
        c = self.kit.clinic
        faces, families = self.font_faces()
        body_family = c.fonts.body.family
        heading_family = (c.fonts.heading or c.fonts.body).family
        fallbacks = []
        for family, _, _ in fallback_fonts(Path()):
            if family not in fallbacks:
                fallbacks.append(family)
        tail = ", ".join(_css_string(f) for f in fallbacks)
        stack = lambda fam: f"{_css_string(fam)}, {tail}, sans-serif"  # noqa: E731
        large = self.options.large_print or c.large_print
        return f"""{faces}
:root {{
  --primary: {c.colours.primary};
  --accent: {c.colours.accent};
  --on-primary: {c.colours.on_primary};
  --text: {c.colours.text};
  --background: {c.colours.background};
  --body-font: {stack(body_family)};
  --heading-font: {stack(heading_family)};
  --body-size: {"16pt" if large else "12pt"};
  --small-size: {"14pt" if large else "10pt"};
  --margin-size: {"11pt" if large else "9pt"};
  --clinic-name: {_css_string(c.name)};
}}
@page {{ size: {PAPER[c.paper]}; {"margin-bottom: 32mm;" if large else ""} }}
"""

    @cached_property
    def stylesheets(self) -> list[weasyprint.CSS]:
        sheets = []
        base = self.kit.find_file("handouts.css", "styles")
        if base is None:
            raise RenderError("styles/handouts.css not found in the kit or the default kit")
        sheets.append(self._css(filename=base))
        sheets.append(self._css(string=self.theme_css()))
        custom = self.kit.root / "styles" / "clinic.css"
        if custom.is_file():
            sheets.append(self._css(filename=custom))
        return sheets

    def _css(self, **kwargs: object) -> weasyprint.CSS:
        try:
            return weasyprint.CSS(
                **kwargs,  # type: ignore[arg-type]
                base_url=self.base_url,
                url_fetcher=self.fetcher,
                font_config=self.font_config,
            )
        except ResourceRefused as exc:
            raise RenderError(f"stylesheet: {exc}") from None
        except Exception as exc:  # a CSS file that is not CSS
            raise RenderError(f"stylesheet {kwargs.get('filename', 'theme')}: {exc}") from None

    # -- glyph coverage ----------------------------------------------------------------

    @cached_property
    def _covered(self) -> frozenset[int]:
        """Every code point some font of the stack can print (read once, when first needed)."""
        from fontTools.ttLib import TTFont

        paths: list[Path] = []
        fonts = self.kit.clinic.fonts
        for font in (fonts.body, fonts.heading):
            if font is None:
                continue
            if font.files is None:
                paths.extend(BUNDLED_FONTS.get(font.family, {}).values())
            else:
                paths.extend(
                    self.kit.resolve(rel) for rel in font.files.model_dump().values() if rel
                )
        paths.extend(p for _, p, _ in fallback_fonts(self.kit.default_root / "assets" / "fonts"))
        covered: set[int] = set()
        for path in paths:
            try:
                with TTFont(path, lazy=True) as font:
                    covered.update(font.getBestCmap() or {})
            except Exception:  # an unreadable font covers nothing; load_kit named it already
                continue
        return frozenset(covered)

    def unprintable(self, text: str) -> list[str]:
        """Characters of ``text`` that no font in the stack has (they would print as boxes).
        Spaces, joiners and marks that fonts handle without a glyph of their own are fine."""
        missing = []
        for char in text:
            code = ord(char)
            if code < 0x250 or unicodedata.category(char) in ("Zs", "Cf", "Mn", "Me"):
                continue  # Latin, spacing and marks: always covered or not drawn
            if code not in self._covered and char not in missing:
                missing.append(char)
        return missing

    # -- rendering ---------------------------------------------------------------------

    def render(self, html: str, extra_css: str = "") -> weasyprint.Document:
        """Lay out one HTML document. Missing or refused resources are failures."""
        sheets = list(self.stylesheets)
        if extra_css:
            sheets.append(self._css(string=extra_css))
        collector = _CollectWarnings()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(collector)
        try:
            document = weasyprint.HTML(
                string=html, base_url=self.base_url, url_fetcher=self.fetcher
            ).render(
                stylesheets=sheets,
                font_config=self.font_config,
                pdf_forms=self.options.fillable,
                presentational_hints=True,
            )
        except ResourceRefused as exc:
            raise RenderError(str(exc)) from None
        finally:
            logger.removeHandler(collector)
        failures = [m for m in collector.messages if "Failed to load" in m or "refused" in m]
        if failures:
            raise RenderError("; ".join(failures))
        return document
