"""Inline Markdown (bold, italic, links) in content strings, turned into safe HTML.

This is the one place where text becomes trusted ``Markup``: raw HTML in content is escaped,
and links may only point to web, mail or phone addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

SAFE_LINK_PREFIXES = ("http://", "https://", "mailto:", "tel:")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "typographer": False})
    md.enable(["emphasis", "link", "escape", "backticks", "newline"])
    md.validateLink = lambda url: url.strip().lower().startswith(SAFE_LINK_PREFIXES)  # type: ignore[method-assign]
    return md


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace ``{clinic_phone}``-style placeholders; unknown braces are left as written."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def inline(text: str, values: Mapping[str, str] | None = None) -> Markup:
    """Render one content string (inline Markdown) to safe HTML."""
    if values:
        text = fill_placeholders(text, values)
    html = _parser().renderInline(text)
    return Markup(html)


def plain(text: str) -> Markup:
    return escape(text)
