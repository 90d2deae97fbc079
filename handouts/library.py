"""The kit's content library: every document, validated, looked up by ID and language.

A packet is always in one language: a document missing in the patient's language is an
error, never a silent fallback to English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import Kit
from .content import (
    FIRST_VISIT_TOPIC,
    KINDS,
    PACKET_ORDER,
    ContentDoc,
    ContentFile,
    discover,
    load_document,
)
from .errors import ContentError, InputError, Problem


def primary_language(tag: str) -> str:
    """``en-GB`` -> ``en``."""
    return tag.split("-", 1)[0].lower()


def same_language(a: str, b: str) -> bool:
    """Whether two language tags name the same language (regions may differ)."""
    return primary_language(a) == primary_language(b)


@dataclass
class Library:
    """Content files of a kit, loaded on first use and cached."""

    files: dict[tuple[str, str, str | None], ContentFile]
    _cache: dict[Path, ContentDoc] = field(default_factory=dict)

    @classmethod
    def for_kit(cls, kit: Kit) -> Library:
        return cls(discover(kit.folders("content")))

    def _load(self, file: ContentFile) -> ContentDoc:
        if file.path not in self._cache:
            doc = load_document(file.path, file.topic, file.kind)
            if file.language is not None and doc.language != file.language:
                raise ContentError.from_problems(
                    [
                        Problem(
                            file.path,
                            f"'{doc.language}' does not match the file name's language "
                            f"'{file.language}'",
                            None,
                            "language",
                        )
                    ]
                )
            self._cache[file.path] = doc
        return self._cache[file.path]

    @property
    def topics(self) -> list[str]:
        return sorted({topic for topic, _, _ in self.files})

    def ids(self) -> list[str]:
        """Every document ID, sorted by topic then packet order."""
        pairs = {(topic, kind) for topic, kind, _ in self.files}
        return [f"{t}/{k}" for t, k in sorted(pairs, key=lambda p: (p[0], PACKET_ORDER[p[1]]))]

    def variants(self, doc_id: str) -> list[ContentDoc]:
        """Every language version of a document."""
        topic, _, kind = doc_id.partition("/")
        return [
            self._load(f)
            for (t, k, _), f in sorted(self.files.items(), key=lambda i: str(i[0]))
            if t == topic and k == kind
        ]

    def all_documents(self) -> tuple[list[ContentDoc], list[Problem]]:
        """Every document in every language, and the problems of those that fail to load."""
        docs: list[ContentDoc] = []
        problems: list[Problem] = []
        for _, file in sorted(self.files.items(), key=lambda i: str(i[0])):
            try:
                docs.append(self._load(file))
            except InputError as exc:
                problems.extend(exc.problems)
        return docs, problems

    def has(self, doc_id: str) -> bool:
        topic, _, kind = doc_id.partition("/")
        return any(t == topic and k == kind for t, k, _ in self.files)

    def get(self, doc_id: str, language: str | None = None) -> ContentDoc:
        """The document in ``language`` (or its untranslated file when None)."""
        topic, _, kind = doc_id.partition("/")
        if kind not in KINDS or not self.has(doc_id):
            raise ContentError.from_problems(
                [Problem("content", f"unknown document '{doc_id}'", hint=self._suggest(doc_id))]
            )
        if language is None:
            base = self.files.get((topic, kind, None))
            if base is not None:
                return self._load(base)
        else:
            # exact tag first (en-GB), then the same language in any region (en)
            for wanted in dict.fromkeys([language, primary_language(language)]):
                translated = self.files.get((topic, kind, wanted))
                if translated is not None:
                    return self._load(translated)
                base = self.files.get((topic, kind, None))
                if base is not None and self._load(base).language.lower() == wanted.lower():
                    return self._load(base)
            for doc in self.variants(doc_id):
                if same_language(doc.language, language):
                    return doc
        available = sorted({d.language for d in self.variants(doc_id)})
        raise ContentError.from_problems(
            [
                Problem(
                    f"content/{topic}",
                    f"'{doc_id}' has no '{language}' version",
                    hint=f"available: {', '.join(available)}; add {kind}.{language}.yaml",
                )
            ]
        )

    def _suggest(self, doc_id: str) -> str:
        import difflib

        close = difflib.get_close_matches(doc_id, self.ids(), n=1)
        return f"did you mean '{close[0]}'?" if close else "see `handouts list`"

    def treatment_topics(self) -> list[str]:
        """Topics a patient can be booked for (all but the first-visit pack)."""
        return [t for t in self.topics if t != FIRST_VISIT_TOPIC]

    def packet_ids(self, treatments: list[str], first_visit: bool) -> list[str]:
        """Document IDs for a packet in DOMAIN.md order: leaflets, consent forms, aftercare."""
        topics = [FIRST_VISIT_TOPIC] if first_visit and FIRST_VISIT_TOPIC in self.topics else []
        topics += treatments
        ids = [f"{t}/{k}" for t in topics for k in KINDS if self.has(f"{t}/{k}")]
        return sorted(ids, key=lambda i: PACKET_ORDER[i.split("/")[1]])  # stable: topic order kept

    def check_treatments(self, treatments: list[str], file: Path | str, line_of=None) -> None:
        """Fail, naming the allowed topics, when a treatment has no leaflet."""
        import difflib

        known = self.treatment_topics()
        problems = []
        for index, topic in enumerate(treatments):
            if topic not in known:
                close = difflib.get_close_matches(topic, known, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                problems.append(
                    Problem(
                        file,
                        f"unknown treatment '{topic}'",
                        line_of(("treatments", index)) if line_of else None,
                        f"treatments[{index}]",
                        hint=hint + "allowed: " + ", ".join(known),
                    )
                )
        if problems:
            raise InputError.from_problems(problems)
