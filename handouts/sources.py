"""Loading YAML and JSON files into plain data plus a map from dotted keys to line numbers.

This is the only module that parses user files; every later stage receives validated
objects. Line numbers let validation errors point at ``file:line: key``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Problem

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Loaded:
    """Data read from one file, with the line of every key and list item."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Iterable[str | int]) -> int | None:
        """The line of ``loc``, or of its nearest parent that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that keeps plain scalars as the text the author typed.

    Only ``null`` (and ``~`` or nothing) and dates are resolved. YAML 1.1 would read a
    patient ID ``000123`` as the octal number 83, a surname ``No`` as false and version
    ``1.10`` as 1.1; the validators turn text into numbers and booleans where a field is one.
    Duplicate keys are refused (in ``_build``) instead of silently keeping the last.
    """


_KEPT_TAGS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge"}
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in _KEPT_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


MAX_BYTES = 20 * 1024 * 1024  # no patient, config or appointments file comes near this
MAX_VALUES = 200_000  # values after YAML aliases are expanded ("billion laughs")
MAX_DEPTH = 50


def _build(node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: Path, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _problem(path, node, f"more than {MAX_VALUES:,} values (YAML aliases expanding?)")
    if len(loc) > MAX_DEPTH:
        raise _problem(path, node, f"nested more than {MAX_DEPTH} levels deep")
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        _UniqueKeyLoader.flatten_mapping(_loader_for_flatten, node)  # merge keys (<<)
        for key_node, value_node in node.value:
            key = _UniqueKeyLoader.construct_object(_loader_for_flatten, key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise _problem(path, key_node, "keys must be plain text")
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                raise _problem(path, key_node, f"duplicate key '{key}'")
            lines[loc + (key,)] = key_node.start_mark.line + 1
            result[key] = _build(value_node, loc + (key,), lines, path, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, loc + (index,), lines, path, budget)
            for index, item in enumerate(node.value)
        ]
    try:
        return _UniqueKeyLoader.construct_object(_loader_for_flatten, node, deep=True)
    except ValueError:
        # YAML reads 1984-13-45 as a date and the calendar refuses it
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        raise InputError.from_problems(
            [
                Problem(
                    path,
                    f"'{node.value}' is not a valid date (YYYY-MM-DD)",
                    node.start_mark.line + 1,
                    key,
                )
            ]
        ) from None


def _problem(path: Path, node: yaml.Node, message: str) -> InputError:
    return InputError.from_problems([Problem(path, message, node.start_mark.line + 1)])


_loader_for_flatten = _UniqueKeyLoader("")


def parse_yaml_text(text: str, path: Path) -> Loaded:
    """Parse YAML (or JSON, which YAML reads) text into data and a line map."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError.from_problems(
            [Problem(path, "contains a NUL byte: not a text file", line)]
        )
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
    except RecursionError:
        raise InputError.from_problems([Problem(path, "nested too deep")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = mark.line + 1 if mark else None
        reason = exc.problem or str(exc)
        raise InputError.from_problems([Problem(path, f"not valid YAML: {reason}", at)]) from None
    except yaml.YAMLError as exc:
        raise InputError.from_problems([Problem(path, f"not valid YAML: {exc}")]) from None
    if node is None:
        return Loaded(path, None, {(): 1})
    lines: dict[Loc, int] = {}
    try:
        data = _build(node, (), lines, path, [MAX_VALUES])
    except RecursionError:
        raise InputError.from_problems([Problem(path, "nested too deep")]) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise InputError.from_problems(
            [Problem(path, f"not valid YAML: {exc.problem}", mark.line + 1 if mark else None)]
        ) from None
    return Loaded(path, data, lines)


def read_text(path: Path) -> str:
    """Read a UTF-8 text file (a byte-order mark is allowed), or fail with a clear error."""
    try:
        if path.is_file() and path.stat().st_size > MAX_BYTES:
            raise InputError.from_problems(
                [Problem(path, f"larger than {MAX_BYTES // 1024 // 1024} MB: not an input file")]
            )
        with path.open("rb") as handle:  # a device such as /dev/zero never ends: cap the read
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise InputError.from_problems(
                [Problem(path, f"larger than {MAX_BYTES // 1024 // 1024} MB: not an input file")]
            )
    except FileNotFoundError:
        raise InputError.from_problems([Problem(path, "file not found")]) from None
    except IsADirectoryError:
        raise InputError.from_problems([Problem(path, "is a folder, expected a file")]) from None
    except OSError as exc:
        raise InputError.from_problems([Problem(path, f"cannot read: {exc.strerror}")]) from None
    return decode_text(raw, path)


def decode_text(raw: bytes, path: Path | str) -> str:
    """UTF-8 (with or without a byte-order mark), or a clear error naming the line."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and b"\x00" in raw[:4]):
        raise InputError.from_problems(
            [Problem(path, "looks like UTF-16 text; save the file as UTF-8", 1)]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError.from_problems(
            [Problem(path, "not UTF-8 text; save the file as UTF-8", line)]
        ) from None


def parse_json(text: str, path: Path | str) -> Any:
    """Parse JSON, or fail naming the file and line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.from_problems(
            [Problem(path, f"not valid JSON: {exc.msg}", exc.lineno)]
        ) from None
    except (ValueError, RecursionError) as exc:  # huge numbers, absurd nesting
        reason = "nested too deep" if isinstance(exc, RecursionError) else str(exc)
        raise InputError.from_problems([Problem(path, f"not valid JSON: {reason}")]) from None


def load_mapping(path: Path) -> Loaded:
    """Load a YAML or JSON file whose top level must be a mapping."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        parse_json(text, path)  # JSON's own error messages, then YAML for the line map
    loaded = parse_yaml_text(text, path)
    if not isinstance(loaded.data, dict):
        found = "nothing" if loaded.data is None else type(loaded.data).__name__
        raise InputError.from_problems(
            [Problem(path, f"the top level must be a mapping of keys to values, found {found}", 1)]
        )
    return loaded
