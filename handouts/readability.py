"""Reading level of patient-facing text: SMOG and Flesch-Kincaid grades, offline.

This module owns syllable counting, sentence splitting, the two grade formulas and the
extraction of the patient-facing text of a content ``Document`` (sources excluded), so that a
checker can report a document's grade and name its hardest sections. ``textstat`` is not used:
it downloads a dictionary at run time and fails offline (PITFALLS.md).

Syllables: a rule-based vowel-group count (silent final e/es/ed, consonant + "le", split
vowel pairs such as "ia", "io", "eo", "ua", suffixes such as -ing, -ly, -ment counted apart)
combined with pyphen's en_US hyphenation by taking the larger of the two. Pyphen alone
undercounts: it never breaks off the first or last two letters ("area", "idea" = 1) and
skips breaks ("phys-io-ther-a-py" = 5, the word has 6). Numerals count as spoken, as SMOG's
rules say ("24" = twen-ty-four = 3; "0.01%" = 8).

Calibration (tests/test_readability.py): on 200 hand-counted words (dictionary syllabification,
health and everyday vocabulary) pyphen alone is right on 57%, the rules on 98%, the maximum of
the two on 98.5% (3 misses, each off by one; mean absolute error 0.015 syllables a word). On
texts with published counts (Wikipedia's Flesch examples, "The cat sat on the mat." and the
platypus sentence: 13 words, 26 syllables, FK 13.1) and two hand-counted ten-sentence
passages, FK and SMOG match the hand counts within 0.1 grade. The seed clinic page reads
SMOG 13.9 (PITFALLS.md: "about 13").
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import pyphen

if TYPE_CHECKING:
    from .content import Document

_pyphen_dicts: dict[str, pyphen.Pyphen] = {}


def _hyphenator(lang: str = "en_US") -> pyphen.Pyphen:
    """A pyphen dictionary, loaded once per language on first use."""
    if lang not in _pyphen_dicts:
        _pyphen_dicts[lang] = pyphen.Pyphen(lang=lang)
    return _pyphen_dicts[lang]


_VOWELS = re.compile(r"[aeiouy]+")
# Each match adds a syllable to the vowel-group count: vowel pairs spoken as two syllables.
_SPLITS = re.compile(
    r"(?=(?<![cgts])ia|(?<=[cgts])iat|io(?!n|u)|(?<![cgstxln])io(?=n|u)|(?<!g)eo|(?<=e)oa|(?<!g)ua"
    r"|iu|uou|(?<!g)ue(?=[lnt])|(?<!g)ui(?=[dn])|(?<![ct])ie(?=n[ct])|ie(?=t)"
    r"|(?<=[^aeiouyw])y[aeiou]|[aeiouy][^aeiouy]+ie(?:r|st)$|[aeiouy][^aeiouy]+eas?$"
    r"|(?:[aeiou]s|th)ms?$|^cre(?=at(?!u))|^re(?=[iou]|a(?:ct|ss|pp|dj|lis|liz|lit))"
    r"|^co(?=op|ord)|coag|^(?:contra|intra|extra|ultra)[aeiou])"
)
# Suffixes counted on their own (stem and suffix each get the rules), tried in this order.
_SUFFIXES = {"ments": 1, "ment": 1, "ness": 1, "less": 1, "fully": 2, "ful": 1, "ly": 1,
             "thing": 1, "ings": 1, "ing": 1, "where": 1, "fore": 1, "one": 1, "times": 1,
             "time": 1, "work": 1, "makers": 2, "maker": 2}  # fmt: skip
_EXCEPTIONS = {"people": 2, "peoples": 2, "business": 2, "maybe": 2, "diabetes": 4,
               "science": 2, "recipe": 3, "element": 3, "elements": 3}  # fmt: skip
_SMALL = (2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 3, 1, 2, 2, 2, 2, 3, 2, 2)  # zero..nineteen
_TENS = (0, 0, 2, 2, 2, 2, 2, 3, 2, 2)  # -, -, twenty..ninety


def _below_1000(n: int) -> int:
    hundreds, rest = divmod(n, 100)
    count = _SMALL[hundreds] + 2 if hundreds else 0  # "... hundred"
    if rest >= 20:
        count += _TENS[rest // 10] + (_SMALL[rest % 10] if rest % 10 else 0)
    elif rest:
        count += _SMALL[rest]
    return count


def _number_syllables(token: str) -> int:
    """Syllables of a numeral read aloud: "1,000" one thousand, "0.5%" zero point five percent."""
    whole, _, frac = token.rstrip("%").replace(",", "").partition(".")
    if not whole or len(whole) > 9 or (whole.startswith("0") and len(whole) > 1):
        count = sum(_SMALL[int(d)] for d in whole)  # read digit by digit
    elif int(whole) == 0:
        count = 2
    else:
        millions, rest = divmod(int(whole), 1_000_000)
        thousands, units = divmod(rest, 1000)
        count = sum(_below_1000(g) + 2 for g in (millions, thousands) if g) + _below_1000(units)
    if frac:
        count += 1 + sum(_SMALL[int(d)] for d in frac)  # "point" and each digit
    return count + (2 if token.endswith("%") else 0)


def _rule_count(word: str) -> int:
    """Vowel-group syllable count of a lowercase ASCII word (no suffix stripping)."""
    w = re.sub(r"que(s?)$", r"k\1", word).replace("qu", "kw")
    w = re.sub(r"(?<=[aeioun]g)ues?$", "", w)
    splits = len(_SPLITS.findall(w))
    if re.search(r"[^aeiouyl]l(?:e|es|ed)$", w):
        pass  # "needle", "needles", "handled": the e is spoken
    elif re.search(r"(?:[sxzcg]|ch|sh)es$|[td]ed$", w):
        pass  # "bruises", "places", "needed": the e is spoken
    elif re.search(r"[^aeiouy](?:e|es|ed)$", w) and _VOWELS.search(re.sub(r"e[sd]?$", "", w)):
        w = re.sub(r"e([sd]?)$", r"\1", w)  # silent final e: "make", "takes", "cleaned"
    return len(_VOWELS.findall(w)) + splits


def _heuristic(word: str) -> int:
    for suffix, count in _SUFFIXES.items():
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and _VOWELS.search(stem) and len(stem) >= 2:
            return _heuristic(stem) + count
    return max(1, _rule_count(word))


@lru_cache(maxsize=8192)
def count_syllables(word: str) -> int:
    """Syllables in one word: the larger of the rule count and pyphen's (en_US) count.

    Hyphenated words are the sum of their parts; numerals count as read aloud. Returns 0 for
    a token with no letters or digits.
    """
    word = word.strip().strip("'’\"")
    if re.fullmatch(r"\d[\d.,]*%?", word):
        return _number_syllables(word)
    parts = [p for p in re.split(r"[-‐–/]", word) if p]
    if len(parts) > 1:
        return sum(count_syllables(p) for p in parts)
    ascii_word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()
    ascii_word = re.sub(r"[^a-z]", "", ascii_word)
    if not ascii_word:
        return 1 if any(c.isalnum() for c in word) else 0
    if ascii_word in _EXCEPTIONS:
        return _EXCEPTIONS[ascii_word]
    pieces = _hyphenator().inserted(ascii_word).split("-")
    return max(_heuristic(ascii_word), sum(1 for p in pieces if _VOWELS.search(p)))


_WORD = re.compile(r"(?:[^\W\d_]\.){2,}|\d+(?:[.,]\d+)*%?|[^\W\d_]+(?:['’\-‐][^\W\d_]+)*")
_LIST_MARK = re.compile(r"^\s*(?:[-*+•–]|\d+[.)])\s+")
_TERMINATOR = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "prof", "st", "vs", "approx", "cf", "al", "fig",
                  "no", "tel", "ext", "ref", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
                  "sep", "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri"}  # fmt: skip


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``; every line break also ends one (bullets, headings, questions).

    A full stop after an abbreviation ("e.g.", "i.e.", "Dr.", initials) or before a lowercase
    word does not end a sentence; decimals ("0.01%") are never split. List markers ("- ",
    "1. ") are dropped. Join soft-wrapped lines before calling.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        line = _LIST_MARK.sub("", line).strip()
        start = 0
        for match in _TERMINATOR.finditer(line):
            before = line[start : match.start()].split()
            last = before[-1].lstrip("([\"'“‘").lower() if before else ""
            following = line[match.end() :].lstrip()
            if match.group().startswith(".") and (
                last in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)*[a-z]", last)
            ):
                continue
            if following[:1].islower():
                continue
            sentences.append(line[start : match.end()].strip())
            start = match.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if _WORD.search(s)]


def _counts(text: str) -> tuple[int, int, int, int]:
    """(sentences, words, syllables, polysyllabic words) of ``text``."""
    sentences = split_sentences(text)
    words = [w for s in sentences for w in _WORD.findall(s)]
    syllables = [count_syllables(w) for w in words]
    return len(sentences), len(words), sum(syllables), sum(1 for n in syllables if n >= 3)


def _smog(sentences: int, polysyllables: int) -> float:
    return 1.0430 * math.sqrt(polysyllables * 30 / sentences) + 3.1291 if sentences else 0.0


def _fk(sentences: int, words: int, syllables: int) -> float:
    return 0.39 * words / sentences + 11.8 * syllables / words - 15.59 if words else 0.0


def smog_grade(text: str) -> float:
    """SMOG grade (McLaughlin 1969), polysyllables normalised to 30 sentences; 0.0 if empty."""
    sentences, _, _, polysyllables = _counts(text)
    return _smog(sentences, polysyllables)


def flesch_kincaid_grade(text: str) -> float:
    """Flesch-Kincaid grade level (Kincaid et al. 1975); 0.0 if ``text`` has no words."""
    sentences, words, syllables, _ = _counts(text)
    return _fk(sentences, words, syllables)


@dataclass(frozen=True)
class Readability:
    """Both grades of a text and the counts they rest on."""

    smog: float
    fk: float
    words: int
    sentences: int


def measure(text: str) -> Readability:
    """SMOG and Flesch-Kincaid grades of ``text`` in one pass."""
    sentences, words, syllables, polysyllables = _counts(text)
    return Readability(_smog(sentences, polysyllables), _fk(sentences, words, syllables),
                       words, sentences)  # fmt: skip


_MARKDOWN = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url) -> text
    (re.compile(r"<(?:https?://|mailto:)[^>]*>"), ""),  # autolinks
    (re.compile(r"\b(?:https?://|www\.)[^\s<>()]*[^\s<>().,;:!?'\"]"), ""),  # bare URLs
    (re.compile(r"<[^>]+>"), ""),  # HTML tags
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])"), r"\2"),  # italic
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"^\s*(?:#{1,6}|>)\s*", re.MULTILINE), ""),  # heading and quote markers
)


def _plain(text: str) -> str:
    """Markdown and URLs stripped; soft-wrapped lines joined; one line per item or sentence."""
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    lines: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if lines and lines[-1] and line and not _LIST_MARK.match(line):
            lines[-1] += " " + line
        else:
            lines.append(line)
    return "\n".join(line for line in lines if line)


def document_texts(doc: Document) -> list[tuple[str, str]]:
    """The patient-facing text of ``doc`` as (section label, plain text) pairs.

    Title and summary come first, then each section under its heading, then (consent forms)
    procedure, benefits, risks, alternatives, no treatment, screening and statements. Each
    item (bullet, step title, question...) is its own line, so it ends a sentence. Sources
    are excluded. Parts with no text are left out.
    """
    parts: list[tuple[str, list[str | None]]] = [("Summary", [doc.title, doc.summary])]
    for section in doc.sections:
        items: list[str | None] = [section.heading]
        for block in section.blocks:
            items.append(block.paragraph)
            items += block.bullets or []
            items += [t for s in block.steps or [] for t in (s.title, s.text)]
            items += [t for c in (block.callout, block.warning) if c for t in (c.title, c.text)]
            items += [t for qa in block.questions or [] for t in (qa.q, qa.a)]
            items += [t for f in block.red_flags or [] for t in (f.symptom, f.action)]
        parts.append((section.heading, items))
    if doc.procedure:
        parts.append(("Procedure", [*doc.procedure.description, *doc.procedure.sensation]))
    parts.append(("Benefits", list(doc.benefits or [])))
    parts.append(("Risks", [t for r in doc.risks or [] for t in (r.name, r.management)]))
    parts.append(("Alternatives", [t for a in doc.alternatives or [] for t in (a.name, a.text)]))
    parts.append(("No treatment", [doc.no_treatment]))
    parts.append(("Screening questions", [q.question for q in doc.screening or []]))
    if doc.statements:
        parts.append(("Statements", [*doc.statements.practitioner, *doc.statements.patient]))
    texts = [(label, "\n".join(_plain(t) for t in items if t)) for label, items in parts]
    return [(label, text) for label, text in texts if text.strip()]


def document_readability(doc: Document) -> tuple[Readability, list[tuple[str, Readability]]]:
    """Grades of the whole document and of each part of :func:`document_texts`."""
    parts = document_texts(doc)
    overall = measure("\n".join(text for _, text in parts))
    return overall, [(label, measure(text)) for label, text in parts]
