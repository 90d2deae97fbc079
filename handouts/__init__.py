"""handouts: print-quality patient packets (leaflets, aftercare sheets, consent forms)."""

__version__ = "0.1.0"

from .api import build_packet, list_documents, render_document  # noqa: E402
from .batch import build_batch  # noqa: E402

__all__ = ["__version__", "build_batch", "build_packet", "list_documents", "render_document"]
