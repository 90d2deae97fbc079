"""The only way WeasyPrint may read a resource: files inside the allowed folders and
``data:`` URLs. Anything else, or a missing file, stops the render with a clear error."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse


class ResourceRefused(FatalURLFetchingError):
    """A template or stylesheet asked for a resource outside the kit, or a missing file."""


class KitFetcher(URLFetcher):
    """Serves ``file:`` URLs below ``roots`` and ``data:`` URLs; refuses everything else."""

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self.roots = tuple(root.resolve() for root in roots)

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise ResourceRefused(f"refused to fetch {url}: only files inside the kit are allowed")
        path = Path(unquote(urlsplit(url).path)).resolve()
        if not any(path == root or root in path.parents for root in self.roots):
            raise ResourceRefused(f"refused to read {path}: it is outside the kit")
        if not path.is_file():
            raise ResourceRefused(f"missing file: {path}")
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {}, 200)
