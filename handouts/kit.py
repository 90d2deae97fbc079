"""New clinic kits: ``handouts init DIR`` writes a kit that builds at once.

The new kit holds only what a clinic changes first (``clinic.yaml``, a placeholder logo, an
example patient) and empty override folders, each with a README saying how to override a file
of the default kit. Everything else comes from the default kit, so the new kit prints a
complete packet straight away. Files are written atomically; an existing ``clinic.yaml`` is
never overwritten, and ``clinic.yaml`` is written last, so an interrupted init can be re-run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import click
import jinja2
from jinja2 import nodes

from .config import CONFIG_NAME, default_kit_root
from .errors import ConfigError, KitExistsError, Problem
from .output import atomic_write

PATIENT_FILE = "examples/patients/example.yaml"
LOGO_FILE = "assets/logo.svg"


@dataclass(frozen=True)
class InitResult:
    """What ``init`` did: the kit folder, the files it wrote and those it left as they were."""

    root: Path
    written: tuple[Path, ...]
    kept: tuple[Path, ...]


def _yaml_text(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar: safe for any name (colons, quotes, #).
    return json.dumps(text, ensure_ascii=False)


def _clinic_yaml(name: str) -> str:
    q = _yaml_text
    return f"""\
# Your clinic's settings: every document (cover letter, leaflets, consent forms, aftercare)
# takes its name, logo, colours, fonts, contact details and paper size from this file.
# Relative paths resolve against this file's folder. Unknown keys are errors, with a hint.
# Build a packet with: handouts demo --kit <this folder>

name: {q(name)}
tagline: Physiotherapy and sports rehabilitation   # a short line under the name, or remove

logo:                        # SVG (best), PNG or JPEG, inside this kit
  file: {LOGO_FILE}
  alt: {q(name + " logo")}         # read out by screen readers: say what the logo shows

colours:                     # hex colours; text colours need 4.5:1 contrast on white
  primary: "#1f5f8b"         # headings, bars, table headers
  accent: "#c4511f"          # labels, warnings
  on_primary: "#ffffff"      # text on the primary colour
  text: "#1a1a1a"            # body text
  background: "#ffffff"

fonts:
  body:
    family: Atkinson Hyperlegible   # bundled with handouts; for another font, give its files:
    # family: Lato
    # files:                        # whole static TTF/OTF files in this kit (not variable
    #   regular: assets/fonts/Lato-Regular.ttf     # fonts, not split subsets), with their
    #   bold: assets/fonts/Lato-Bold.ttf           # licence beside them
    #   italic: assets/fonts/Lato-Italic.ttf
    #   bold_italic: assets/fonts/Lato-BoldItalic.ttf
  # heading:                        # optional: another family for headings
  #   family: Atkinson Hyperlegible

contact:                     # CHANGE: printed on every cover letter and contact box
  address:
    - 1 Example Street
    - Exampletown EX1 2AB
  phone: 01234 567890
  email: hello@clinic.example
  website: www.clinic.example

emergency:
  number: "999"              # "911" in the US, "112" in most of Europe
  label: ambulance, police or fire
  out_of_hours: NHS 111      # advice line out of hours, or remove

legal:                       # footer lines: registration, regulator; keep them short
  - {q(name + ", registered in England and Wales no. 00000000")}
  - Our physiotherapists are registered with the Health and Care Professions Council

paper: A4                    # A4 or letter
language: en                 # default language of documents
locale: en_GB                # date and time formats: en_GB, en_US, ...
date_format: long            # short, medium, long or full
timezone: Europe/London      # appointment times are shown in this zone
large_print: false           # true: body text 16 pt on every document (or --large-print)
reading_target: 8            # the reading grade (SMOG) that content checks accept

letter_signoff: The clinic team   # who signs the cover letter
# what_to_bring, what_to_wear and cancellation change the cover letter's advice, e.g.
# what_to_bring:
#   - this letter and any forms you have filled in
#   - a list of the medicines you take

# Batch input from another system: rename its columns, read its date formats.
# columns:
#   patient_id: MRN
#   given_name: First Name
# input_formats:
#   date_of_birth: "%d/%m/%Y"
#   appointment_start: "%d/%m/%Y %H:%M"
"""


def _logo_svg() -> str:
    # Shapes only: text inside an SVG would use whatever fonts the machine has.
    return """\
<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120"
     role="img" aria-label="Placeholder logo">
  <!-- Placeholder: replace this file with your own logo (SVG, or PNG at 600 px or more). -->
  <rect x="6" y="6" width="108" height="108" rx="18" fill="#1f5f8b"/>
  <circle cx="80" cy="40" r="12" fill="#ffffff"/>
  <path d="M18 96 L48 52 L66 76 L78 62 L102 96 Z" fill="#ffffff"/>
</svg>
"""


def _patient_yaml(name: str) -> str:
    location = _yaml_text(f"{name}, 1 Example Street, Exampletown")
    return f"""\
# An example patient, for `handouts demo --kit <this folder>`. Patient files have this shape;
# treatments are topics of the content library (`handouts list` shows them).
id: EX-000001
name:
  given: Alex
  family: Example
date_of_birth: 1980-01-31
language: en
appointment:
  start: 2026-12-01T09:30:00   # local time in the clinic's time zone
  practitioner: Sam Example, Physiotherapist
  location: {location}
treatments: [dry-needling]
first_visit: true
"""


def _kit_readme(name: str) -> str:
    return f"""\
# {name}: handouts kit

This folder is a clinic kit for `handouts`. It changes only what it holds; every other file
(templates, styles, content, fonts) comes from the default kit.

Build the example packet: `handouts demo --kit .` (or set `HANDOUTS_KIT` to this folder, or
run `handouts` from inside it).

## What to change
1. `clinic.yaml`: name, contact details, emergency numbers, footer lines, colours, paper
   (`A4` or `letter`), locale and time zone. The comments say what each key does.
2. `{LOGO_FILE}`: replace the placeholder with your logo (SVG is best), and update `logo.alt`.
3. Fonts: put whole TTF files (and their licence) in `assets/fonts/` and list them under
   `fonts.body.files`.
4. Overrides, file by file: `templates/`, `styles/` and `content/` each have a README.
5. `{PATIENT_FILE}`: the patient `handouts demo` builds a packet for.

After each change, build the demo again and look at the PDF.
"""


def _block_list() -> str:
    """The default templates and the blocks each one offers, read from the templates."""
    folder = default_kit_root() / "templates"
    env = jinja2.Environment()
    lines = []
    for path in sorted(folder.glob("*.j2")):
        if path.name.startswith("_"):
            continue
        try:
            tree = env.parse(path.read_text(encoding="utf-8"))
        except jinja2.TemplateSyntaxError:
            continue
        blocks = [b.name for b in tree.find_all(nodes.Block)]
        lines.append(f"- `{path.name}`: " + (", ".join(blocks) if blocks else "no blocks"))
    return "\n".join(lines)


def _templates_readme() -> str:
    return f"""\
# Template overrides

A template here replaces the default template of the same name. Keep overrides small:
extend the default and replace one block, so you keep every later fix to the rest.

```jinja
{{% extends "builtin:consent.html.j2" %}}
{{% import "_macros.html.j2" as m with context %}}
{{% block identification %}}
  ... your version of the block ...
{{% endblock %}}
```

`builtin:` always means the default kit's file. The most specific name wins:
`consent-dry-needling.html.j2` (kind, then topic) before `consent.html.j2`.
Templates see the context documented in `handouts/context.py` (`clinic`, `patient`, `doc`,
`appointment`, `packet`, `form`, `options`, `today`). An unknown variable is an error.

Default templates and their blocks:

{_block_list()}
"""


STYLES_README = """\
# Style overrides

- `clinic.css` here is added after the default stylesheet: put small changes in it, e.g.
  `.summary { background: #eef6f4; }`. The clinic's colours and fonts are CSS custom
  properties set from `clinic.yaml` (`--primary`, `--accent`, `--on-primary`, `--text`,
  `--background`, `--body-font`, `--heading-font`, `--body-size`, `--small-size`).
- `handouts.css` here replaces the default stylesheet entirely (copy it from the default kit
  first). Only do this for a different layout.

Files a stylesheet uses (fonts, images) must be inside the kit.
"""

CONTENT_README = """\
# Content overrides

A file here replaces the default kit's file with the same topic and kind, e.g.
`content/dry-needling/consent.yaml` replaces the default dry needling consent form, and a
new folder (`content/<topic>/leaflet.yaml`) adds a topic. Copy the default file first and
edit it; translations sit beside it as `leaflet.<language>.yaml`.

Placeholders `{clinic_name}`, `{clinic_phone}` and `{emergency_number}` are filled from
`clinic.yaml`. `handouts list --kit .` shows which file each document comes from.
"""


def kit_files(name: str) -> dict[str, str]:
    """The files of a new kit, by path relative to the kit folder; clinic.yaml last."""
    return {
        "README.md": _kit_readme(name),
        LOGO_FILE: _logo_svg(),
        "templates/README.md": _templates_readme(),
        "styles/README.md": STYLES_README,
        "content/README.md": CONTENT_README,
        PATIENT_FILE: _patient_yaml(name),
        CONFIG_NAME: _clinic_yaml(name),
    }


def default_name(root: Path) -> str:
    """A clinic name from the folder name: ``north-street`` -> ``North Street``."""
    words = re.split(r"[-_\s]+", root.resolve().name)
    return " ".join(w.capitalize() for w in words if w) or "My Clinic"


def init_kit(root: Path, name: str | None = None) -> InitResult:
    """Write a new kit into ``root`` (created if needed). Refuses a folder that already holds
    ``clinic.yaml``; any other file already there is left as it is."""
    config = root / CONFIG_NAME
    if config.exists():
        raise KitExistsError.from_problems(
            [
                Problem(
                    config,
                    "a kit is already here; handouts init never overwrites clinic.yaml. "
                    "Choose another folder, or remove clinic.yaml to start again",
                )
            ]
        )
    if root.exists() and not root.is_dir():
        raise ConfigError.from_problems([Problem(root, "is a file, expected a folder")])
    clinic_name = (name or "").strip() or default_name(root)
    written: list[Path] = []
    kept: list[Path] = []
    for relative, text in kit_files(clinic_name).items():
        path = root / relative
        if path.exists():
            kept.append(path)
            continue
        atomic_write(path, text.encode("utf-8"))
        written.append(path)
    return InitResult(root, tuple(written), tuple(kept))


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="Clinic name (default: from the folder name).")
def init_command(directory: Path, name: str | None) -> None:
    """Write a new clinic kit into DIRECTORY that builds at once: clinic.yaml, a placeholder
    logo, override folders and a README on what to change."""
    result = init_kit(directory, name)
    click.echo(f"Wrote a new kit in {result.root} ({len(result.written)} files).")
    for path in result.kept:
        click.echo(f"Kept existing {path}")
    click.echo(
        f"Next: edit {result.root / CONFIG_NAME}, then run: handouts demo --kit {result.root}"
    )
