"""The one exception tree of handouts.

Every failure a user can cause is a :class:`HandoutsError`; Click prints its message and
exits with its ``exit_code`` (2 for bad input or usage, 1 for a render failure), never a
traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click


@dataclass(frozen=True)
class Problem:
    """One problem found in one file: where it is, which key, what is wrong."""

    file: Path | str
    message: str
    line: int | None = None
    key: str = ""
    severity: str = "error"  # error | warning | note
    hint: str = ""

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: "
        if self.key:
            text += f"{self.key}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": str(self.file),
            "line": self.line,
            "key": self.key,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


class HandoutsError(click.ClickException):
    """Base of every error handouts reports to a user."""

    exit_code = 2

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems

    def format_message(self) -> str:
        return self.message


class InputError(HandoutsError):
    """Raised when a file the user gave (content, config, patient, appointments) is
    unreadable, not valid YAML/JSON/CSV, or fails validation. Carries every problem found."""

    exit_code = 2

    @classmethod
    def from_problems(cls, problems: list[Problem] | tuple[Problem, ...]) -> InputError:
        problems = tuple(problems)
        if len(problems) == 1:
            return cls(str(problems[0]), problems)
        lines = [f"{len(problems)} problems found:"] + [f"  {p}" for p in problems]
        return cls("\n".join(lines), problems)


class ConfigError(InputError):
    """Raised when the kit (clinic.yaml, its folders) is missing or invalid."""


class KitExistsError(ConfigError):
    """Raised by ``handouts init`` when the folder already holds a ``clinic.yaml``: init never
    overwrites a kit."""


class ContentError(InputError):
    """Raised when a content document is missing, invalid, or not available in a language."""


class PatientError(InputError):
    """Raised when a patient file or appointment row is invalid."""


class TemplateError(HandoutsError):
    """Raised when a template is missing or fails to render (undefined variable, syntax)."""

    exit_code = 1


class RenderError(HandoutsError):
    """Raised when WeasyPrint cannot make the PDF: a missing or forbidden resource, a font."""

    exit_code = 1


class OutputError(HandoutsError):
    """Raised when the output file cannot be written."""

    exit_code = 1


class OutputPathError(OutputError):
    """Raised before any rendering when the output path given cannot be used (a folder, not
    ``.pdf``, a parent that is a file, a name too long): a usage error."""

    exit_code = 2
