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

Calibration (tests/test_readability.py), against dictionary counts: on 435 everyday and
clinical words used to write the rules, pyphen alone is right on 87%, the rules on 98.9%, their
maximum on 100%. On 219 held-out words of the seed page, counted by hand and never tuned on,
pyphen alone is right on 87%, the rules on 98.6%, the maximum on 99.1% (2 misses, each one
syllable over: "releasing", "safety"; mean error 0.009 syllables a word). On the calibration
texts (Wikipedia's "The cat sat on the mat." and platypus sentence, 13 words and 26 syllables,
FK 13.1; two hand-counted ten-sentence passages, SMOG 6.3 and 14.3) words, sentences, syllables
and polysyllables match exactly, so the grade error is 0.0. The seed clinic page reads SMOG
13.2, FK 12.4 (PITFALLS.md: "about SMOG 13").
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import pyphen

if TYPE_CHECKING:
    from .content import Document


@cache
def _hyphenator(lang: str = "en_US") -> pyphen.Pyphen:
    """A pyphen dictionary, loaded once per language on first use and kept for the process."""
    return pyphen.Pyphen(lang=lang)


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
_SMALL = (0, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 3, 1, 2, 2, 2, 2, 3, 2, 2)  # -, one..nineteen
_TENS = (0, 0, 2, 2, 2, 2, 2, 3, 2, 2)  # -, -, twenty..ninety


def _number_syllables(token: str) -> int:
    """Syllables of a numeral read aloud: "1,000" one thousand, "0.5%" zero point five percent."""
    whole, _, frac = token.rstrip("%").replace(",", "").partition(".")
    digits = [int(d) for d in frac if d.isdigit()]
    count = 1 + sum(_SMALL[d] or 2 for d in digits) if digits else 0  # "point" and each digit
    if len(whole) > 9 or (whole.startswith("0") and len(whole) > 1) or int(whole) == 0:
        count += sum(_SMALL[int(d)] or 2 for d in whole)  # digit by digit; 0 is "zero"
    else:
        n = int(whole)
        for scale, group in ((2, n // 10**6), (2, n // 1000 % 1000), (0, n % 1000)):
            hundreds, rest = divmod(group, 100)
            tens = _TENS[rest // 10] + _SMALL[rest % 10] if rest >= 20 else _SMALL[rest]
            count += (scale if group else 0) + (_SMALL[hundreds] + 2 if hundreds else 0) + tens
    return count + (2 if token.endswith("%") else 0)


def _rule_count(word: str) -> int:
    """Vowel-group syllable count of a lowercase ASCII word (no suffix stripping)."""
    w = re.sub(r"que(s?)$", r"k\1", word).replace("qu", "kw")
    w = re.sub(r"(?<=[aeioun]g)ues?$", "", w)
    splits = len(_SPLITS.findall(w))
    # Silent final e/es/ed ("make", "takes", "cleaned"), but spoken in "needle(s)", "handled",
    # "bruises", "places", "needed", and kept when it is the word's only vowel ("the").
    spoken = re.search(r"[^aeiouyl]l(?:e|es|ed)$|(?:[sxzcg]|ch|sh)es$|[td]ed$", w)
    if not spoken and re.search(r"[^aeiouy]e[sd]?$", w) and _VOWELS.search(w[:-2]):
        w = re.sub(r"e([sd]?)$", r"\1", w)
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
_ABBREVIATIONS = set(
    "dr mr mrs ms prof st vs approx cf al fig tel ext ref jan feb mar apr jun jul aug sep sept "
    "oct nov dec mon tue wed thu fri".split()
)


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


def smog_grade(text: str) -> float:
    """SMOG grade (McLaughlin 1969), polysyllables normalised to 30 sentences; 0.0 if empty."""
    return measure(text).smog


def flesch_kincaid_grade(text: str) -> float:
    """Flesch-Kincaid grade level (Kincaid et al. 1975); 0.0 if ``text`` has no words."""
    return measure(text).fk


@dataclass(frozen=True)
class Readability:
    """Both grades of a text and the counts they rest on."""

    smog: float
    fk: float
    words: int
    sentences: int


def measure(text: str) -> Readability:
    """SMOG and Flesch-Kincaid grades of ``text`` in one pass."""
    sentences, words, syllables, poly = _counts(text)
    if not words:
        return Readability(0.0, 0.0, 0, 0)
    smog = 1.0430 * math.sqrt(poly * 30 / sentences) + 3.1291
    fk = 0.39 * words / sentences + 11.8 * syllables / words - 15.59
    return Readability(smog, fk, words, sentences)


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
    """Markdown, URLs and list markers stripped; soft-wrapped lines joined; a line per item."""
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    lines: list[str] = []
    for line in text.splitlines():
        item = _LIST_MARK.match(line)
        line = " ".join(line[item.end() if item else 0 :].split())
        if lines and lines[-1] and line and not item:
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
    """Grades of the whole document and of each part of :func:`document_texts`.

    SMOG of a part with only a few sentences is noisy: rank parts by it, gate on the overall.
    """
    parts = document_texts(doc)
    overall = measure("\n".join(text for _, text in parts))
    return overall, [(label, measure(text)) for label, text in parts]
