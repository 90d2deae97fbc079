"""The template context is a documented contract (STYLE.md point 9): every field of every
context class is documented in its docstring's "Fields:" list, and nothing documented is
missing from the class."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import handouts.context as context
from handouts.context import (
    AppointmentContext,
    ClinicContext,
    DocumentContext,
    EnclosedDoc,
    FormContext,
    Options,
    PageContext,
    PatientContext,
    RiskRow,
    documented_fields,
)

CONTEXT_CLASSES = [
    ClinicContext,
    PatientContext,
    AppointmentContext,
    EnclosedDoc,
    RiskRow,
    DocumentContext,
    FormContext,
    Options,
    PageContext,
]


def field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize("cls", CONTEXT_CLASSES, ids=lambda c: c.__name__)
def test_every_field_is_documented(cls: type) -> None:
    undocumented = field_names(cls) - documented_fields(cls)
    assert not undocumented, f"{cls.__name__}: document {sorted(undocumented)} under 'Fields:'"


@pytest.mark.parametrize("cls", CONTEXT_CLASSES, ids=lambda c: c.__name__)
def test_every_documented_field_exists(cls: type) -> None:
    stale = documented_fields(cls) - field_names(cls)
    assert not stale, f"{cls.__name__}: documented but not a field: {sorted(stale)}"


@pytest.mark.parametrize("cls", CONTEXT_CLASSES, ids=lambda c: c.__name__)
def test_context_objects_are_frozen(cls: type) -> None:
    # Templates must not be able to change what they were given.
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_every_context_class_is_under_contract() -> None:
    # A new context class in the module must join the list above.
    defined = {
        obj
        for obj in vars(context).values()
        if inspect.isclass(obj)
        and dataclasses.is_dataclass(obj)
        and obj.__module__ == context.__name__
    }
    assert defined == set(CONTEXT_CLASSES)


def test_templates_receive_exactly_the_page_context_fields() -> None:
    ctx_fields = [f.name for f in dataclasses.fields(PageContext)]
    page = PageContext.__new__(PageContext)
    for name in ctx_fields:
        object.__setattr__(page, name, object())
    assert list(page.as_template_vars()) == ctx_fields


def test_documented_fields_reads_only_the_fields_list() -> None:
    class Sample:
        """A summary line: with a colon.

        Fields:
            alpha: the first.
            beta: the second, e.g. "x: y".
        """

    assert documented_fields(Sample) == {"alpha", "beta"}
