"""The clinic's configuration (``clinic.yaml``) and the kit folder it sits in.

A kit is a folder with ``clinic.yaml`` and optional ``templates/``, ``styles/``, ``content/``
and ``assets/``; its files override the default kit's file by file. Relative paths in
``clinic.yaml`` resolve against the file's folder, never the working directory.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from .errors import ConfigError, Problem
from .sources import load_mapping
from .validation import Model, as_text, validate

HEX_COLOUR = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"
Colour = Annotated[str, Field(pattern=HEX_COLOUR)]
Text = Annotated[str, Field(min_length=1)]
CONFIG_NAME = "clinic.yaml"
ENV_KIT = "HANDOUTS_KIT"

# The batch input columns and their default names (a kit may rename them).
COLUMN_KEYS = (
    "patient_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "email",
    "language",
    "appointment_start",
    "practitioner",
    "location",
    "treatments",
    "first_visit",
)


class Logo(Model):
    file: Text
    alt: Text


class Colours(Model):
    primary: Colour = "#1f5f8b"
    accent: Colour = "#c4511f"
    on_primary: Colour = "#ffffff"
    text: Colour = "#1a1a1a"
    background: Colour = "#ffffff"


class FontFiles(Model):
    regular: Text
    bold: str | None = None
    italic: str | None = None
    bold_italic: str | None = None


class Font(Model):
    family: Text
    files: FontFiles | None = None  # None: the bundled font of that family


class Fonts(Model):
    body: Font = Font(family="Atkinson Hyperlegible")
    heading: Font | None = None  # None: same as body


class Contact(Model):
    address: Annotated[list[Text], Field(min_length=1)]
    phone: Text
    email: Text
    website: str | None = None

    _phone_text = field_validator("phone", mode="before")(as_text)


class Emergency(Model):
    number: Text = "999"
    out_of_hours: str | None = None  # e.g. "NHS 111"
    label: Text = "emergency services"

    _num_text = field_validator("number", "out_of_hours", mode="before")(as_text)


class Clinic(Model):
    """Everything a clinic may set in ``clinic.yaml``."""

    name: Text
    tagline: str | None = None
    logo: Logo | None = None
    colours: Colours = Colours()
    fonts: Fonts = Fonts()
    contact: Contact
    emergency: Emergency = Emergency()
    legal: list[Text] = []
    paper: Literal["A4", "letter"] = "A4"
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")] = "en"
    locale: Annotated[str, Field(pattern=r"^[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*$")] = "en_GB"
    date_format: Literal["short", "medium", "long", "full"] = "long"
    timezone: Text = "Europe/London"
    large_print: bool = False
    reading_target: Annotated[float, Field(gt=0, le=20)] = 8.0
    columns: dict[str, Text] = {}
    # strptime formats for batch input that is not ISO 8601, e.g. {date_of_birth: "%d/%m/%Y"}
    input_formats: dict[Literal["date_of_birth", "appointment_start"], Text] = {}
    what_to_bring: list[Text] = [
        "this letter and any forms you have filled in",
        "a list of the medicines you take",
        "any scans, letters or reports about your problem",
        "your glasses, if you use them to read",
    ]
    what_to_wear: Text = (
        "Loose, comfortable clothes. We may need to see the area we treat, so shorts or a "
        "vest top can help."
    )
    cancellation: Text = (
        "If you cannot come, please tell us at least 24 hours before so we can offer the time "
        "to someone else."
    )
    letter_signoff: Text = "The clinic team"

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        import difflib

        for key in value:
            if key not in COLUMN_KEYS:
                close = difflib.get_close_matches(key, COLUMN_KEYS, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ValueError(
                    f"'{key}' is not a column; allowed: {', '.join(COLUMN_KEYS)}{hint}"
                )
        return value

    @field_validator("input_formats")
    @classmethod
    def _strptime_formats(cls, value: dict[str, str]) -> dict[str, str]:
        sample = dt.datetime(2026, 12, 1, 9, 30)
        for key, fmt in value.items():
            try:  # a format must read back what it writes, e.g. %d/%m/%Y %H:%M
                dt.datetime.strptime(sample.strftime(fmt), fmt)
            except ValueError:
                raise ValueError(f"{key}: '{fmt}' is not a date format such as %d/%m/%Y") from None
            if "%" not in fmt:
                raise ValueError(f"{key}: '{fmt}' is not a date format such as %d/%m/%Y")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known time zone, e.g. Europe/London") from None
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(value.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            raise ValueError(f"'{value}' is not a known locale, e.g. en_GB or en_US") from None
        return value


@dataclass(frozen=True)
class Kit:
    """A validated clinic config and the folders it draws on, most specific first."""

    root: Path  # the kit folder (holds clinic.yaml)
    config_path: Path
    clinic: Clinic
    default_root: Path  # the default kit shipped with handouts

    @property
    def roots(self) -> tuple[Path, ...]:
        """Kit folder first, then the default kit (once, if they differ)."""
        if self.root.resolve() == self.default_root.resolve():
            return (self.root,)
        return (self.root, self.default_root)

    def folders(self, name: str) -> tuple[Path, ...]:
        return tuple(root / name for root in self.roots)

    def resolve(self, relative: str) -> Path:
        """A path from clinic.yaml, relative to the kit folder."""
        return (self.root / relative).resolve()

    def holds(self, path: Path) -> bool:
        """Whether ``path`` (resolved) lies inside the kit or the default kit."""
        resolved = path.resolve()
        return any(resolved == r.resolve() or r.resolve() in resolved.parents for r in self.roots)

    def find_file(self, name: str, subfolder: str) -> Path | None:
        """The kit's own file if it has one, else the default kit's."""
        for folder in self.folders(subfolder):
            candidate = folder / name
            if candidate.is_file():
                return candidate
        return None

    @property
    def is_default(self) -> bool:
        return self.root.resolve() == self.default_root.resolve()


# Font families handouts ships whole (render.py holds their files).
BUNDLED_FAMILIES = frozenset({"Atkinson Hyperlegible"})
# The first bytes of the files a kit may name (a text file renamed .ttf prints nothing).
FONT_SIGNATURES = (b"\x00\x01\x00\x00", b"true", b"OTTO", b"wOFF", b"wOF2")
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"<svg", b"<?xml")


def _looks_like(path: Path, signatures: tuple[bytes, ...]) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    if b"<svg" in signatures and path.suffix.lower() == ".svg":
        return b"<svg" in head or head.lstrip().startswith(b"<?xml")
    return head.startswith(signatures)


def default_kit_root() -> Path:
    """The default kit: inside the installed package, or the repository root in a checkout."""
    package = Path(__file__).resolve().parent
    bundled = package / "kit"
    if (bundled / CONFIG_NAME).is_file():
        return bundled
    return package.parent


def locate_kit(explicit: str | Path | None = None, cwd: Path | None = None) -> Path:
    """Which kit to use: ``--kit``, else ``$HANDOUTS_KIT``, else the current folder if it holds
    ``clinic.yaml``, else the default kit."""
    if explicit:
        return _kit_folder(Path(explicit), "--kit")
    env = os.environ.get(ENV_KIT)
    if env:
        return _kit_folder(Path(env), ENV_KIT)
    here = cwd or Path.cwd()
    if (here / CONFIG_NAME).is_file():
        return here
    return default_kit_root()


def _kit_folder(path: Path, origin: str) -> Path:
    if path.is_file() and path.name == CONFIG_NAME:
        path = path.parent
    if not path.is_dir():
        raise ConfigError.from_problems([Problem(path, f"kit folder not found (from {origin})")])
    if not (path / CONFIG_NAME).is_file():
        raise ConfigError.from_problems(
            [Problem(path, f"not a kit: it has no {CONFIG_NAME} (from {origin})")]
        )
    return path


def load_kit(explicit: str | Path | None = None) -> Kit:
    """Find, load and validate the kit, checking that the files it names exist."""
    root = locate_kit(explicit).resolve()
    config_path = root / CONFIG_NAME
    loaded = load_mapping(config_path)
    clinic = validate(Clinic, loaded, ConfigError)
    kit = Kit(root, config_path, clinic, default_kit_root().resolve())
    problems = []
    if clinic.logo is not None:
        logo = kit.resolve(clinic.logo.file)
        if not kit.holds(logo):
            problems.append(
                Problem(
                    config_path,
                    f"{logo} is outside the kit; put the logo in the kit's assets/ folder",
                    loaded.line_of(("logo", "file")),
                    "logo.file",
                )
            )
        elif not logo.is_file():
            problems.append(
                Problem(
                    config_path,
                    f"logo file not found: {logo}",
                    loaded.line_of(("logo", "file")),
                    "logo.file",
                )
            )
        elif logo.suffix.lower() not in (".svg", ".png", ".jpg", ".jpeg") or not _looks_like(
            logo, IMAGE_SIGNATURES
        ):
            problems.append(
                Problem(
                    config_path,
                    f"{logo.name} is not an SVG, PNG or JPEG image",
                    loaded.line_of(("logo", "file")),
                    "logo.file",
                )
            )
    for role in ("body", "heading"):
        font = getattr(clinic.fonts, role)
        if font is not None and font.files is None and font.family not in BUNDLED_FAMILIES:
            problems.append(
                Problem(
                    config_path,
                    f"'{font.family}' is not bundled: give its files (regular, bold, italic, "
                    f"bold_italic) in the kit, or use {', '.join(sorted(BUNDLED_FAMILIES))}",
                    loaded.line_of(("fonts", role, "family")),
                    f"fonts.{role}.family",
                )
            )
        if font is None or font.files is None:
            continue
        for style in ("regular", "bold", "italic", "bold_italic"):
            rel = getattr(font.files, style)
            if rel is None:
                continue
            path = kit.resolve(rel)
            key = ("fonts", role, "files", style)
            if not kit.holds(path):
                problems.append(
                    Problem(
                        config_path,
                        f"{path} is outside the kit; copy the font into the kit's assets/fonts/",
                        loaded.line_of(key),
                        ".".join(key),
                    )
                )
            elif not path.is_file():
                problems.append(
                    Problem(
                        config_path,
                        f"font file not found: {path}",
                        loaded.line_of(key),
                        ".".join(key),
                    )
                )
            elif path.suffix.lower() not in (".ttf", ".otf", ".woff", ".woff2") or not _looks_like(
                path, FONT_SIGNATURES
            ):
                problems.append(
                    Problem(
                        config_path,
                        f"{path.name} is not a TTF, OTF or WOFF font file",
                        loaded.line_of(key),
                        ".".join(key),
                    )
                )
    if problems:
        raise ConfigError.from_problems(problems)
    return kit
