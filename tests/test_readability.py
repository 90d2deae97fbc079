"""Tests of handouts.readability: syllables, sentences, SMOG/FK calibration, document text.

Calibration texts: two with published counts (Wikipedia, "Flesch-Kincaid readability tests":
"The cat sat on the mat." and the platypus sentence, 13 words and 26 syllables) and two
ten-sentence passages whose words, syllables and polysyllables were counted by hand. The
expected grades are the formulas applied to those counts.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from handouts.content import Document
from handouts.readability import (
    Readability,
    count_syllables,
    document_readability,
    document_texts,
    flesch_kincaid_grade,
    measure,
    smog_grade,
    split_sentences,
)

# Tuning list: dictionary syllable counts (words with two accepted counts left out).
KNOWN = {
    1: (
        "the a and to of you your is it be are with for this that have will may can make time "
        "home while sore some come done one once there where here were more whole these those "
        "please skin pain day days week walk ice heat rest move feel felt ask asked used helped "
        "liked hoped stopped called cleaned placed caused bruise risk risks point points chest "
        "lung twitch use trained through though thought breath breathe tongue league guide suit "
        "fruit friend field piece tried dies eye phone gone large strength straight thigh knee "
        "calf back neck joint joints nerve nerves blood heart sleep drink warm cold stiff sharp "
        "brief clean safe shoe toe raise judge changed sprained cramp cramps takes makes faint"
    ),
    2: (
        "after before about people little table needle needles simple gentle muscle muscles "
        "soreness water moving movement gently slowly normal feeling quiet being going doing "
        "seeing create needed wanted started tested removed bleeding bruising bruises treatment "
        "treatments doctor pregnant breathless breathing urgent consent statement patient "
        "patients trigger tension release reduce restore technique creature hybrid mammal "
        "business enough because immune system systems thinners device intense stretching contact "
        "clinic question questions answer answers withdraw agree cramping response sterile single "
        "pressure prevent stiffness schedule assess training advanced occur resume subsides "
        "science fluid ruin diet react useful careful something someone sometimes therefore only "
        "early daily apply places changes causes uses handled treated argue spasm spasms rhythm "
        "cruel fluent client problem swelling injured heavy reason ready during recent symptom "
        "symptoms contain tissue rescue value hurry worry bandage unless painless sibling ceiling "
        "ancient fatigue maybe numbness tingling burning fever dizzy vomit ointment plaster "
        "redness itchy quickly slightly likely lovely useless lifetime homework posture tendon "
        "shoulder elbow ankle hamstring headache migraine swollen"
    ),
    3: (
        "normally idea area areas created inserted therapy therapist medicine medical infection "
        "pregnancy allergy allergies pacemaker serious procedure benefit benefits signature "
        "evidence effective dysfunction surgery seemingly platypus possible sensible compromised "
        "disorder disorders phobia implanted hydrated hydration exercise continue understand "
        "understood sensation alcohol positioned position assessment improvement improvements "
        "qualified extremely minimal discomfort similar video radio anyone breathlessness "
        "reaction delicious religious previous curious various hospital oedema important remember "
        "example tomorrow another general several family injection carefully properly directly "
        "completely initial reassure reassess warfarin injuries ligament vertebra sensitive "
        "tolerate"
    ),
    4: (
        "information medication medications emergency temporary experience alternative "
        "alternatives practitioner practitioners myofascial acupuncture therapeutic pneumothorax "
        "effectiveness available responsible exercises activity additional appropriate "
        "complications significant variable reptilian australian epilepsy diabetes lymphoedema "
        "anaesthetic inflammation circulation continuous spontaneous material reassesses "
        "coordinate cooperate aggravation ibuprofen haematoma sciatica tolerated"
    ),
    5: (
        "immediately associated osteopathy physiology certification individual anatomical "
        "manipulation paracetamol tendinopathy inflammatory"
    ),
    6: (
        "physiotherapy physiotherapist hyperirritable contraindication osteoarthritis "
        "musculoskeletal rehabilitation anticoagulant"
    ),
    8: "neurophysiological",
}
# Held out: words of the seed page, hand-counted after the rules were written, never tuned on.
HELD_OUT = (
    "accelerate 4 accordingly 4 acute 2 addressing 3 adjust 2 affected 3 allergic 3 allowing "
    "3 alone 2 always 2 anatomy 4 applying 3 athletes 2 avoid 2 balance 2 based 1 biochemical "
    "5 body 2 carries 2 chemicals 3 chinese 2 chronic 2 clotting 2 combined 2 comes 1 common "
    "2 compared 2 comprehensive 4 concerning 3 concerns 2 conditions 3 conducts 2 connect 2 "
    "consider 3 consideration 5 contraction 3 contribute 3 costs 1 creates 2 cure 1 deep 1 "
    "depend 2 determine 3 differ 2 difficult 3 direct 2 discuss 2 disruption 3 dramatic 3 "
    "drape 1 drawbacks 2 effect 2 effectively 4 eliminate 4 encouraged 3 even 2 expert 2 "
    "explain 2 exposed 2 failed 1 fewer 2 fibers 2 filament 3 flexibility 5 flow 1 freely 2 "
    "fully 2 functional 3 goals 1 hands 1 healthcare 2 heavily 3 helping 2 hits 1 identifying "
    "5 immediate 4 improve 2 improves 2 including 3 infections 3 inform 2 informed 2 "
    "initially 4 injected 3 inserting 3 insertion 3 instructions 3 integrated 4 interrupts 3 "
    "intervention 4 introduced 3 invasive 3 involuntary 5 involves 2 issues 2 itself 2 knots "
    "1 knowledge 2 lasts 1 layers 2 learn 1 lifting 2 limitations 4 listen 2 local 2 "
    "management 3 manual 3 many 2 mechanical 4 meridians 4 metal 2 minimally 4 minimize 3 "
    "minimized 3 minimizing 4 minor 2 minutes 2 mobility 4 modern 2 modesty 3 motion 2 "
    "multiple 3 needling 2 nodules 2 offering 3 often 2 others 2 pacemakers 3 painful 2 "
    "palpable 3 palpation 3 patterns 2 penetrates 3 performed 2 persistent 3 personalized 4 "
    "philosophy 4 physiotherapists 6 pinch 1 placement 2 platform 2 potential 3 precisely 3 "
    "prescribed 2 prick 1 principles 3 problematic 4 proceeding 3 process 2 programs 2 "
    "progress 2 proper 2 provide 2 puncturing 3 rapid 2 rare 1 reach 1 reactions 3 receive 2 "
    "recommended 4 recover 3 reduction 3 referred 2 relax 2 releasing 3 relief 2 relieve 2 "
    "removal 3 research 2 resolve 2 respond 2 restricted 3 rooted 2 safety 2 scheduled 2 "
    "seconds 2 seek 1 sensations 3 session 2 sessions 2 significantly 5 sites 1 skeletal 3 "
    "solid 2 special 2 speed 1 sports 1 spots 1 standing 2 staying 2 stimulation 4 substance "
    "2 supports 2 syndromes 2 synergistically 6 systemic 3 taking 2 target 2 targeting 3 taut "
    "1 techniques 2 testing 2 thorough 2 tightness 2 traditional 4 transitioning 4 trapezius "
    "4 underlying 4 uninvolved 3 unlike 2 upper 2 using 2 varies 2 vascular 3 very 2 western "
    "2 within 2 women 2 works 1"
)

HELD_OUT_WORDS = dict(zip(HELD_OUT.split()[::2], map(int, HELD_OUT.split()[1::2]), strict=True))
TUNING_WORDS = {w: n for n, text in KNOWN.items() for w in text.split()}


@pytest.mark.parametrize(
    ("word", "syllables"),
    [("the", 1), ("needle", 2), ("bruising", 2), ("treatment", 2), ("information", 4),
     # phys-i-o-ther-a-py: 6 in Merriam-Webster and Cambridge; pyphen alone gives 5.
     ("physiotherapy", 6), ("Physiotherapy", 6), ("area", 3), ("idea", 3), ("being", 2),
     ("pneumothorax", 4), ("myofascial", 4), ("anticoagulant", 6), ("post-exercise", 4),
     ("it's", 1), ("24", 3), ("1,000", 3), ("0.01%", 8), ("", 0)],
)  # fmt: skip
def test_syllables_of_known_words(word: str, syllables: int) -> None:
    assert count_syllables(word) == syllables


@pytest.mark.parametrize(("words", "floor"), [(TUNING_WORDS, 0.99), (HELD_OUT_WORDS, 0.98)])
def test_syllable_accuracy_on_word_lists(words: dict[str, int], floor: float) -> None:
    misses = {w: (n, count_syllables(w)) for w, n in words.items() if count_syllables(w) != n}
    assert 1 - len(misses) / len(words) >= floor, misses
    assert all(abs(want - got) == 1 for want, got in misses.values()), misses


def test_pyphen_alone_undercounts() -> None:
    import pyphen

    dic = pyphen.Pyphen(lang="en_US")
    alone = sum(len(dic.inserted(w).split("-")) == n for w, n in HELD_OUT_WORDS.items())
    ours = sum(count_syllables(w) == n for w, n in HELD_OUT_WORDS.items())
    assert alone < ours
    assert dic.inserted("area") == "area"  # it never splits the first or last two letters


def test_split_sentences() -> None:
    text = (
        "Use ice, e.g. a bag of peas. Risk is low (less than 0.01%). Ask Dr. Patel, i.e. "
        "your physio! Is it safe? Yes.\n- Rest today\n- Drink water\n1. Clean the skin\n"
        "Red flags\n\nHow long will it hurt"
    )
    assert split_sentences(text) == [
        "Use ice, e.g. a bag of peas.",
        "Risk is low (less than 0.01%).",
        "Ask Dr. Patel, i.e. your physio!",
        "Is it safe?",
        "Yes.",
        "Rest today",
        "Drink water",
        "Clean the skin",
        "Red flags",
        "How long will it hurt",
    ]
    assert split_sentences("") == []


SIMPLE = (
    "Your muscles may feel sore after dry needling. This is normal and should pass in one or "
    "two days. You may see a small bruise where a needle went in. Put an ice pack on the sore "
    "area for ten minutes. Drink plenty of water. Keep moving gently, but do not do hard "
    "exercise today. Call us if the pain gets worse. If you feel short of breath, call for an "
    "ambulance straight away. Bring this sheet to your next visit. We are happy to answer "
    "your questions."
)
DENSE = (
    "Dry needling is a minimally invasive intervention that targets myofascial trigger points. "
    "Practitioners insert sterile filament needles into hyperirritable regions of skeletal "
    "muscle. The mechanical stimulation elicits a local twitch response and reduces "
    "spontaneous electrical activity. Contraindications include anticoagulant medication, "
    "immunosuppression and pregnancy. Serious complications, such as pneumothorax, are "
    "extremely rare. Post-treatment soreness normally resolves within two days. Patients "
    "should maintain adequate hydration and avoid strenuous exercise. Therapeutic benefits "
    "are greatest when needling is integrated into a comprehensive rehabilitation programme. "
    "Responses differ between patients. Practitioners must obtain informed consent before "
    "commencing treatment."
)
# (text, sentences, words, syllables, polysyllables): published or hand counts.
CALIBRATION = [
    ("The cat sat on the mat.", 1, 6, 6, 0),
    ("The Australian platypus is seemingly a hybrid of a mammal and reptilian creature.",
     1, 13, 26, 4),
    (SIMPLE, 10, 88, 110, 3),
    (DENSE, 10, 92, 229, 38),
]  # fmt: skip
TOLERANCE = 0.3  # grades; measured error on these texts is 0.0


@pytest.mark.parametrize(("text", "sentences", "words", "syllables", "poly"), CALIBRATION)
def test_grades_match_hand_counts(
    text: str, sentences: int, words: int, syllables: int, poly: int
) -> None:
    smog = 1.0430 * math.sqrt(poly * 30 / sentences) + 3.1291
    fk = 0.39 * words / sentences + 11.8 * syllables / words - 15.59
    result = measure(text)
    assert (result.words, result.sentences) == (words, sentences)
    assert smog_grade(text) == pytest.approx(smog, abs=TOLERANCE)
    assert flesch_kincaid_grade(text) == pytest.approx(fk, abs=TOLERANCE)
    assert result == Readability(smog_grade(text), flesch_kincaid_grade(text), words, sentences)


def test_published_platypus_grade() -> None:
    # Wikipedia: reading ease 24.4 from 13 words and 26 syllables, i.e. FK grade 13.1.
    assert flesch_kincaid_grade(CALIBRATION[1][0]) == pytest.approx(13.1, abs=0.1)


def test_simple_text_scores_lower_than_dense_text() -> None:
    simple, dense = measure(SIMPLE), measure(DENSE)
    assert simple.smog < 8 < dense.smog
    assert simple.fk + 5 < dense.fk


def test_empty_text_scores_zero() -> None:
    assert measure("  \n- \n") == Readability(0.0, 0.0, 0, 0)


def test_seed_page_reads_about_smog_13() -> None:
    seed = Path("/work/shared/seed/dry-needling-page.txt")
    if not seed.exists():
        pytest.skip("seed page not on this machine")
    result = measure(seed.read_text(encoding="utf-8"))
    assert result.smog == pytest.approx(13, abs=1)
    assert result.fk == pytest.approx(12.4, abs=1)


BASE = {
    "title": "Dry needling",
    "summary": "What **dry needling** is. See [our page](https://clinic.example/dn) or "
    "https://clinic.example/more for more",
    "version": "1.0",
    "published": "2026-01-01",
    "next_review": "2029-01-01",
    "author": "Clinic",
    "language": "en",
    "sources": [{"id": "brady", "citation": "Brady S et al. Adverse events. 2014."}],
}


def _consent() -> Document:
    return Document.model_validate(
        {
            **BASE,
            "procedure": {"description": ["We put thin needles in the muscle."],
                          "sensation": ["You may feel a twitch"]},
            "benefits": ["Less pain"],
            "risks": [{"name": "Bruising", "frequency": "common", "per_10000": 755,
                       "management": "It fades in a few days.", "source": "brady"}],
            "alternatives": [{"name": "Exercise", "text": "Gentle *stretches* at home."}],
            "no_treatment": "Your pain may settle by itself.",
            "screening": [{"id": "pregnant", "question": "Are you pregnant"}],
            "statements": {"practitioner": ["I explained the risks."],
                           "patient": ["I agree to treatment."]},
        }
    )  # fmt: skip


def test_markdown_and_urls_are_stripped() -> None:
    summary = dict(document_texts(_consent()))["Summary"]
    assert summary == "Dry needling\nWhat dry needling is. See our page or for more"


def test_document_texts_include_consent_parts_and_exclude_sources() -> None:
    texts = dict(document_texts(_consent()))
    assert list(texts) == ["Summary", "Procedure", "Benefits", "Risks", "Alternatives",
                           "No treatment", "Screening questions", "Statements"]  # fmt: skip
    assert texts["Procedure"] == "We put thin needles in the muscle.\nYou may feel a twitch"
    assert texts["Risks"] == "Bruising\nIt fades in a few days."
    assert texts["Alternatives"] == "Exercise\nGentle stretches at home."
    assert texts["Screening questions"] == "Are you pregnant"
    assert "Brady" not in "".join(texts.values())


def test_document_texts_of_sections_and_per_section_grades() -> None:
    doc = Document.model_validate(
        {
            **BASE,
            "sections": [
                {"heading": "After your treatment", "blocks": [
                    {"paragraph": "Rest today.\nThis line is\nwrapped.\n\n- Ice it\n- Walk"},
                    {"bullets": ["Drink water", "Sleep well"]},
                    {"steps": [{"title": "Clean", "text": "Wash the skin."}]},
                    {"callout": {"title": "Tip", "text": "Keep warm."}},
                    {"warning": {"text": "Do not run."}},
                    {"questions": [{"q": "Will it hurt", "a": "A little."}]},
                    {"red_flags": [{"symptom": "Chest pain", "action": "Call 999."}]},
                ]},
                {"heading": "Why", "blocks": [{"paragraph": DENSE}]},
            ],
        }
    )  # fmt: skip
    texts = dict(document_texts(doc))
    assert texts["After your treatment"].splitlines() == [
        "After your treatment", "Rest today. This line is wrapped.", "Ice it", "Walk",
        "Drink water", "Sleep well", "Clean", "Wash the skin.", "Tip", "Keep warm.",
        "Do not run.", "Will it hurt", "A little.", "Chest pain", "Call 999.",
    ]  # fmt: skip
    overall, parts = document_readability(doc)
    grades = dict(parts)
    assert list(grades) == ["Summary", "After your treatment", "Why"]
    assert max(grades, key=lambda label: grades[label].smog) == "Why"
    assert grades["After your treatment"].sentences == 16
    assert overall.sentences == sum(r.sentences for r in grades.values())
    assert overall.words == sum(r.words for r in grades.values())
