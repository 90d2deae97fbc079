"""Reading a day's appointments: CSV (comma or semicolon, with or without BOM), a JSON array,
or JSON Lines, from a file or standard input, into numbered raw rows.

Rows stay raw here (text keyed by column name); ``batch.py`` validates each one on its own,
so that one bad row never stops the others.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import InputError, Problem
from .sources import parse_json, read_text

Format = Literal["csv", "json", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "json", "jsonl")


@dataclass(frozen=True)
class RawRow:
    """One appointment as read: its 1-based row number, source line, and values by column."""

    row: int
    line: int | None
    values: dict[str, Any]


def read_source(source: str | Path) -> tuple[str, str]:
    """The text of ``source`` (``-`` is standard input) and the name to report it by."""
    if str(source) == "-":
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8-sig"), "<stdin>"
        except UnicodeDecodeError:
            raise InputError.from_problems([Problem("<stdin>", "not UTF-8 text")]) from None
    path = Path(source)
    return read_text(path), str(path)


def header_key(name: object) -> str:
    """A column name as compared: ``Patient ID``, ``patient-id`` and ``patient_id`` match."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def sniff_format(text: str, name: str) -> Format:
    """Guess the format from the file name, else from the first non-blank character."""
    lower = name.lower()
    if lower.endswith(".jsonl") or lower.endswith(".ndjson"):
        return "jsonl"
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        return "jsonl"
    return "csv"


def parse_rows(text: str, name: str, fmt: Format | None = None) -> list[RawRow]:
    """Parse appointments text into raw rows, or fail naming the file and line."""
    fmt = fmt or sniff_format(text, name)
    if fmt == "json":
        return _json_rows(text, name)
    if fmt == "jsonl":
        return _jsonl_rows(text, name)
    return _csv_rows(text, name)


def _json_rows(text: str, name: str) -> list[RawRow]:
    data = parse_json(text, name)
    if not isinstance(data, list):
        raise InputError.from_problems(
            [Problem(name, "a JSON appointments file must be an array of objects", 1)]
        )
    return [
        RawRow(i, None, item if isinstance(item, dict) else {"__invalid__": _not_object(item)})
        for i, item in enumerate(data, 1)
    ]


def _jsonl_rows(text: str, name: str) -> list[RawRow]:
    if not text.strip():
        raise InputError.from_problems(
            [Problem(name, "the file is empty: expected one JSON object a line", 1)]
        )
    rows: list[RawRow] = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            item = {"__invalid__": f"not valid JSON: {exc.msg}"}
        except (ValueError, RecursionError) as exc:
            reason = "nested too deep" if isinstance(exc, RecursionError) else str(exc)
            item = {"__invalid__": f"not valid JSON: {reason}"}
        if not isinstance(item, dict):
            item = {"__invalid__": _not_object(item)}
        rows.append(RawRow(len(rows) + 1, line_no, item))
    return rows


def _not_object(item: object) -> str:
    kind = "nothing" if item is None else type(item).__name__
    return f"expected an object with the appointment's fields, found {kind}"


def _csv_rows(text: str, name: str) -> list[RawRow]:
    if not text.strip():
        raise InputError.from_problems(
            [Problem(name, "the file is empty: expected a header row", 1)]
        )
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    if "\t" in first_line and first_line.count("\t") > first_line.count(delimiter):
        delimiter = "\t"
    # strict: an unclosed quote is an error, not a cell that silently swallows later rows
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError.from_problems([Problem(name, f"not valid CSV: {exc}", 1)]) from None
    header = [h.strip() for h in header]
    keys = [header_key(h) for h in header]
    dupes = sorted({h for h, k in zip(header, keys, strict=True) if k and keys.count(k) > 1})
    if dupes:
        raise InputError.from_problems(
            [
                Problem(
                    name,
                    f"column names must be unique (case and spaces aside): {', '.join(dupes)}",
                    1,
                )
            ]
        )
    rows: list[RawRow] = []
    while True:
        line_no = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            reason = str(exc)
            if "unexpected end of data" in reason:
                reason += " (a quote opened here is never closed; the rows after it are lost)"
            rows.append(RawRow(len(rows) + 1, line_no, {"__invalid__": f"not valid CSV: {reason}"}))
            if "unexpected end of data" in str(exc):
                break
            continue
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header):
            rows.append(
                RawRow(
                    len(rows) + 1,
                    line_no,
                    {"__invalid__": f"{len(record)} values but {len(header)} columns"},
                )
            )
            continue
        values = {h: record[i].strip() if i < len(record) else "" for i, h in enumerate(header)}
        rows.append(RawRow(len(rows) + 1, line_no, values))
    return rows
