"""The command line: each command parses its arguments, calls one function, prints the result.

Exit codes: 0 success; 1 a render failure (or some batch rows failed); 2 bad input or usage.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import click

from . import __version__, api
from .errors import HandoutsError
from .render import PDF_VARIANTS, RenderOptions

KIT_OPTION = click.option(
    "--kit",
    type=click.Path(path_type=Path),
    default=None,
    help="Kit folder (holds clinic.yaml). Default: $HANDOUTS_KIT, else the current folder if "
    "it holds clinic.yaml, else the built-in kit.",
)


def render_options(duplex: bool):  # type: ignore[no-untyped-def]
    """The print options every rendering command takes, handed to it as one ``options``."""

    def decorate(command):  # type: ignore[no-untyped-def]
        @functools.wraps(command)
        def with_options(*args, **kwargs):  # type: ignore[no-untyped-def]
            kwargs["options"] = RenderOptions(
                large_print=kwargs.pop("large_print"),
                duplex=kwargs.pop("duplex", False),
                fillable=kwargs.pop("fillable"),
                pdf_variant=kwargs.pop("pdf_variant"),
            )
            return command(*args, **kwargs)

        f = click.option("--large-print", is_flag=True, help="Body text 16 pt or more.")(
            with_options
        )
        f = click.option(
            "--fillable", is_flag=True, help="Consent forms with fillable PDF fields."
        )(f)
        f = click.option(
            "--pdf-variant",
            type=click.Choice(PDF_VARIANTS),
            default=None,
            help="Also meet a PDF standard: PDF/A-3 for the archive copy, PDF/UA-1 for "
            "accessibility.",
        )(f)
        if duplex:
            f = click.option(
                "--duplex",
                is_flag=True,
                help="Start every document on an odd page, for two-sided printing.",
            )(f)
        return f

    return decorate


def _echo_written(written: api.WrittenPDF, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(written.as_dict(), ensure_ascii=False, indent=2))
        return
    docs = ", ".join(d.id for d in written.built.documents)
    click.echo(f"Wrote {written.path} ({written.built.pages} pages: {docs})")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handouts")
def cli() -> None:
    """Print patient packets: cover letter, information leaflets, consent forms and aftercare
    sheets, branded for your clinic."""


@cli.command()
@click.argument("patient_file", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="Output PDF (default: output/<date>_<time>_<id>.pdf).",
)
@KIT_OPTION
@render_options(duplex=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def packet(
    patient_file: Path, out: Path | None, kit: Path | None, options: RenderOptions, as_json: bool
) -> None:
    """Build one patient's packet from PATIENT_FILE (YAML or JSON)."""
    _echo_written(api.build_packet(patient_file, out, kit, options), as_json)


@cli.command()
@click.argument("doc_id")
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="Output PDF (default: output/<topic>_<kind>.pdf).",
)
@click.option(
    "--language", default=None, help="Language version to render (default: the untranslated file)."
)
@KIT_OPTION
@render_options(duplex=False)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def render(
    doc_id: str,
    out: Path | None,
    language: str | None,
    kit: Path | None,
    options: RenderOptions,
    as_json: bool,
) -> None:
    """Render one document (DOC_ID such as dry-needling/consent), not personalised."""
    _echo_written(api.render_document(doc_id, out, kit, language, options), as_json)


@cli.command("list")
@KIT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_command(kit: Path | None, as_json: bool) -> None:
    """List every document: ID, kind, title, version, language, reading grade, review status."""
    rows = api.list_documents(kit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    headers = (
        "id",
        "kind",
        "title",
        "version",
        "language",
        "smog",
        "fk",
        "grade_ok",
        "next_review",
        "review_status",
    )
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) if rows else len(h) for h in headers]
    click.echo("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        click.echo("  ".join(str(row[h]).ljust(w) for h, w in zip(headers, widths, strict=True)))


@cli.command()
@KIT_OPTION
@click.option("-o", "--out", type=click.Path(path_type=Path), help="Output PDF.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def demo(kit: Path | None, out: Path | None, as_json: bool) -> None:
    """Build the packet of the bundled example patient into output/."""
    from .config import load_kit

    kit_obj = load_kit(kit)
    _echo_written(api.build_packet(api.demo_patient_path(kit_obj), out, kit_obj), as_json)


@cli.command()
@click.argument("appointments")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Keep only appointments starting that day (clinic local time), YYYY-MM-DD.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder (default: output/<date>/).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl"]),
    default=None,
    help="Input format (default: sniffed).",
)
@KIT_OPTION
@render_options(duplex=True)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the manifest as JSON on standard output, nothing else.",
)
def batch(
    appointments: str,
    day,
    out_dir: Path | None,
    jobs: int | None,
    fmt,
    kit: Path | None,
    options: RenderOptions,
    as_json: bool,
) -> None:  # type: ignore[no-untyped-def]
    """Build one packet per appointment in APPOINTMENTS (CSV, JSON, JSON Lines, or - for
    standard input) and write manifest.json beside them.

    Exit code 0 when every row succeeded, 1 when some failed, 2 when nothing could run."""
    from .batch import build_batch

    bar = None
    progress = None
    if not as_json:

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = click.progressbar(length=total, label="Building packets", file=sys.stderr)
                bar.__enter__()
            bar.update(1)

    result = build_batch(
        appointments, out_dir, kit, day.date() if day else None, jobs, fmt, options, progress
    )
    if bar is not None:
        bar.__exit__(None, None, None)
    if as_json:
        click.echo(json.dumps(result.manifest, ensure_ascii=False, indent=2))
    else:
        run = result.manifest["run"]
        for entry in result.manifest["entries"]:
            if entry["status"] == "error":
                click.echo(f"Error: {entry['error']}", err=True)
        click.echo(
            f"{run['ok']} ok, {run['failed']} failed in {run['seconds']:.1f} s; "
            f"packets and manifest.json in {result.out_dir}",
            err=True,
        )
    sys.exit(result.exit_code)


from .kit import init_command  # noqa: E402  (kept beside its registration)

cli.add_command(init_command)


from .check import check_command  # noqa: E402

cli.add_command(check_command)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except HandoutsError as exc:
        click.echo(f"Error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
    except Exception as exc:  # a bug of ours: a short message, the traceback only on request
        if os.environ.get("HANDOUTS_DEBUG"):
            raise
        click.echo(
            f"Error: internal error ({type(exc).__name__}: {exc}). This is a bug in handouts; "
            "run again with HANDOUTS_DEBUG=1 to see the details, and report them.",
            err=True,
        )
        sys.exit(1)
