"""Turning loaded data into typed, frozen objects, with errors that name file, line and key.

All pydantic errors of a file are reported at once; unknown keys get a "did you mean" hint
from the fields the model allows at that place.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import InputError, Problem
from .sources import Loaded, Loc

M = TypeVar("M", bound=BaseModel)


class Model(BaseModel):
    """Base of every validated object: frozen, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def as_text(value: object) -> object:
    """A number or boolean given where text is expected (from JSON or Python callers) becomes
    the text it stands for; YAML files already arrive as text (see ``sources``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def dotted(loc: Sequence[str | int]) -> str:
    """``('risks', 2, 'frequency')`` -> ``risks[2].frequency``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation may hold (through Optional, list, dict, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, dict, set, frozenset):
        found: list[Any] = []
        for arg in typing.get_args(annotation):
            found.extend(_unwrap(arg))
        return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def allowed_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys the model allows in the mapping at ``loc`` (empty when unknown)."""
    candidates: list[type[BaseModel]] = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        nxt: list[type[BaseModel]] = []
        for cand in candidates:
            field = cand.model_fields.get(part)
            if field is not None:
                nxt.extend(_unwrap(field.annotation))
        if not nxt:
            return []
        candidates = nxt
    keys: list[str] = []
    for cand in candidates:
        for name, field in cand.model_fields.items():
            keys.append(field.alias or name)
    return sorted(set(keys))


def _clean_loc(loc: Sequence[Any]) -> Loc:
    # pydantic adds the tag/union member names to loc; keep only data keys and indexes.
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, int):
            out.append(part)
        elif isinstance(part, str) and not part.startswith(("function-", "union[", "tagged-union")):
            out.append(part)
    return tuple(out)


def problems_from(exc: ValidationError, model: type[BaseModel], loaded: Loaded) -> list[Problem]:
    """Convert every pydantic error into a :class:`Problem` with line and dotted key."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        loc = _clean_loc(err["loc"])
        kind = err["type"]
        hint = ""
        if kind == "extra_forbidden":
            allowed = allowed_keys(model, loc[:-1])
            key = str(loc[-1])
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            message = "unknown key"
            if close:
                hint = f"did you mean '{close[0]}'?"
            elif allowed:
                hint = "allowed: " + ", ".join(allowed)
        elif kind == "missing":
            message = "required but missing"
        else:
            message = err["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            if kind not in ("value_error", "assertion_error") and "input" in err:
                given = err["input"]
                if isinstance(given, str | int | float) and not isinstance(given, bool):
                    shown = given if len(str(given)) <= 60 else f"{str(given)[:57]}..."
                    message = f"{shown!r}: {message[0].lower() + message[1:]}"
        key = dotted(loc)
        if (key, message) in seen:
            continue
        seen.add((key, message))
        problems.append(Problem(loaded.path, message, loaded.line_of(loc), key, hint=hint))
    return problems


def validate(model: type[M], loaded: Loaded, error: type[InputError] = InputError) -> M:
    """Validate ``loaded.data`` as ``model`` or raise ``error`` listing every problem."""
    try:
        return model.model_validate(loaded.data)
    except ValidationError as exc:
        raise error.from_problems(problems_from(exc, model, loaded)) from None
