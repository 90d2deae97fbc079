"""Writing files: atomic replacement, safe names derived from IDs, checksums.

The only module that writes to disk. A write goes to a temporary file in the target folder
and is moved into place with ``os.replace``, so a reader (or a killed run) sees either the
old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from .errors import OutputError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def safe_name(text: str, fallback: str = "unnamed", limit: int = 80) -> str:
    """A file-name-safe form of an ID: ASCII letters, digits, ``.``, ``_`` and ``-`` only,
    no leading dots, never a path. Non-ASCII letters lose their accents (Zoë -> Zoe); if
    anything had to be changed, a short hash of the original keeps distinct IDs distinct."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _UNSAFE.sub("-", ascii_text).strip(".-_ ")
    slug = re.sub(r"\.{2,}", ".", slug)[:limit].rstrip(".-_")
    if slug.lower().split(".")[0] in RESERVED:
        slug = f"_{slug}"
    if slug != text:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug}-{digest}" if slug else f"{fallback}-{digest}"
    return slug or fallback


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, creating the folder if needed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inside(folder: Path, path: Path) -> bool:
    folder = folder.resolve()
    resolved = path.resolve()
    return resolved == folder or folder in resolved.parents
