"""Template lookup and the Jinja environment.

Lookup order: the kit's own ``templates/`` folder, then the default kit's. A name prefixed
``builtin:`` always means the default kit's file, so an override can extend the original and
replace one block: ``{% extends "builtin:consent.html.j2" %}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import TemplateError

BUILTIN_PREFIX = "builtin:"


class KitLoader(jinja2.BaseLoader):
    """Loads from the kit's folder first, then the default folder; ``builtin:`` skips the kit."""

    def __init__(self, kit_dirs: Sequence[Path], builtin_dir: Path) -> None:
        self.kit_dirs = [d for d in kit_dirs]
        self.builtin_dir = builtin_dir

    def search_path(self, name: str) -> list[Path]:
        if name.startswith(BUILTIN_PREFIX):
            return [self.builtin_dir]
        dirs = list(self.kit_dirs)
        if self.builtin_dir not in dirs:
            dirs.append(self.builtin_dir)
        return dirs

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        name = template.removeprefix(BUILTIN_PREFIX)
        if "/" in name or "\\" in name or name.startswith("."):
            raise jinja2.TemplateNotFound(template)
        for folder in self.search_path(template):
            path = folder / name
            if path.is_file():
                # a symlink may not lead out of the templates folder (to /etc/passwd, say)
                if folder.resolve() not in path.resolve().parents:
                    raise TemplateError(f"{path}: refused: it points outside {folder}")
                try:
                    source = path.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    raise TemplateError(f"{path}: not a UTF-8 text template") from None
                return source, str(path), _up_to_date(path, path.stat().st_mtime)
        raise jinja2.TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        names: set[str] = set()
        for folder in [*self.kit_dirs, self.builtin_dir]:
            if folder.is_dir():
                names.update(p.name for p in folder.glob("*.j2"))
        return sorted(names)


def _up_to_date(path: Path, mtime: float) -> Callable[[], bool]:
    return lambda: path.is_file() and path.stat().st_mtime == mtime


def make_environment(
    kit_dirs: Sequence[Path], builtin_dir: Path, filters: dict[str, Any] | None = None
) -> jinja2.Environment:
    # Sandboxed: a kit's template may use the context, never reach Python internals
    # ({{ cycler.__init__.__globals__.os }} and the like).
    env = SandboxedEnvironment(
        loader=KitLoader(kit_dirs, builtin_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(filters or {})
    return env


def pick_template(env: jinja2.Environment, names: Sequence[str]) -> jinja2.Template:
    """The first of ``names`` that exists (most specific first)."""
    try:
        return env.select_template(list(names))
    except jinja2.TemplateNotFound:
        loader = env.loader
        assert isinstance(loader, KitLoader)
        folders = ", ".join(str(d) for d in loader.search_path(names[0]))
        raise TemplateError(f"template not found: tried {', '.join(names)} in {folders}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}"
        ) from None


def render_template(template: jinja2.Template, **context: Any) -> str:
    """Render, turning Jinja failures into a :class:`TemplateError` naming the template line."""
    try:
        return template.render(**context)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{_where(exc, template)}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        loader = template.environment.loader
        searched = ""
        if isinstance(loader, KitLoader) and exc.name:
            searched = " in " + ", ".join(str(d) for d in loader.search_path(str(exc.name)))
        raise TemplateError(
            f"{_where(exc, template)}: template not found: {exc.name}{searched}"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}"
        ) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{_where(exc, template)}: {exc}") from None
    except RecursionError:
        raise TemplateError(
            f"{template.filename or template.name}: templates extend or include each other "
            "in a loop"
        ) from None


def _where(exc: BaseException, template: jinja2.Template) -> str:
    tb = exc.__traceback__
    where = template.filename or template.name or "template"
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            where = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where
