"""Red-flag detection in free text: normalisation, patterns, qualifiers, rules files, and the
built-in English and Spanish rules on the cases the program cares about most."""

import re
from functools import cache
from importlib import resources

import pytest

from peerbot.dialogs.detection import (
    RuleFileError,
    RuleSet,
    build_rule_sets,
    detect,
    normalise,
    parse_rule_file,
)
from peerbot.dialogs.detection.fuzzy import one_edit_apart
from peerbot.dialogs.detection.normalise import tokenise
from peerbot.dialogs.detection.patterns import Gap, PatternError, Word, parse_pattern
from peerbot.program import load_program


def rules_from(*documents: str, source: str = "redflags/en.yaml") -> RuleSet:
    """Compile rules files given as YAML text (later ones override earlier ones)."""
    files = [
        (f"{source}#{index}", parse_rule_file(source, text))
        for index, text in enumerate(documents)
    ]
    (rule_set,) = build_rule_sets(files).values()
    return rule_set


@cache
def builtin(locale: str) -> RuleSet:
    source = f"peerbot/dialogs/redflags/{locale}.yaml"
    text = (resources.files("peerbot.dialogs") / "redflags" / f"{locale}.yaml").read_text("utf-8")
    return build_rule_sets([(source, parse_rule_file(source, text))])[locale]


SMALL = """
locale: en
fuzzy: {min_length: 5, not_misspellings: [putting]}
clause_breaks: [but]
slang: {kms: kill myself, cant: can not}
lexicons:
  method: [pills, rope, sleeping pills]
qualifiers:
  negation: {effect: ignore, scope: 3, cues: [not, never], except: ["not okay"]}
  past: {effect: cap_medium, scope: 4, cues: [used to, years ago]}
  past_after: {effect: cap_medium, scope: 4, direction: after, cues: [years ago]}
exclusions:
  figures: ["killing me", "kill for (a|an)"]
rules:
  - {id: s.intent, category: suicide, severity: critical, patterns: ["going to *2 kill myself"]}
  - id: s.ideation
    category: suicide
    severity: high
    patterns: ["kill myself", "suicidal", "want to die"]
  - {id: s.method, category: suicide, severity: critical, patterns: ["@method"],
     requires_any: ["die"]}
  - {id: h.act, category: self_harm, severity: high, patterns: ["(cut|cutting) myself"]}
  - {id: o.kill, category: harm_to_others, severity: high, patterns: ["kill|murder (him|her)"]}
  - {id: d.can_not_go_on, category: acute_distress, severity: high, patterns: ["can not go on"]}
  - {id: b.drained, category: burnout, severity: medium, patterns: ["drained"]}
"""


def small() -> RuleSet:
    return rules_from(SMALL)


# --- normalisation -----------------------------------------------------------------------


def test_normalise_lowers_strips_accents_apostrophes_and_long_runs():
    assert normalise("I’M SOOOO Tíred, Niño… don´t") == "im soo tired, nino... dont"


def test_normalise_folds_compatibility_characters():
    assert normalise("ｋｉｌｌ ﬁle") == "kill file"


def test_tokens_are_numbered_by_sentence_and_clause():
    tokens = tokenise("I'm fine, really. Not sure")
    assert [(token.word, token.sentence, token.clause) for token in tokens] == [
        ("im", 0, 0),
        ("fine", 0, 0),
        ("really", 0, 1),
        ("not", 1, 2),
        ("sure", 1, 2),
    ]


def test_stretched_words_are_marked():
    (token,) = tokenise("diiiie")
    assert (token.word, token.stretched) == ("diie", True)


# --- patterns -------------------------------------------------------------------------------


def test_pattern_words_gaps_alternatives_and_groups():
    pieces = parse_pattern("kill|end *2 (my life|it all) suicid*", max_gap=3, slang={})
    assert pieces[0] == Word(frozenset({"kill", "end"}))
    assert pieces[1] == Gap(2)
    assert pieces[3] == Word(frozenset(), ("suicid",))


def test_pattern_words_that_are_slang_become_their_expansion():
    pieces = parse_pattern("can't go on", max_gap=3, slang={"cant": ("can", "not")})
    assert [next(iter(piece.words)) for piece in pieces if isinstance(piece, Word)] == [
        "can",
        "not",
        "go",
        "on",
    ]


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("* kill", "must start and end with a word"),
        ("kill (my life", "unbalanced '('"),
        ("kill (my (own) life)", "unbalanced"),
        ("kill *9 myself", "gap '*9' must allow 1 to 6 words"),
        ("@Method", "must look like @name"),
        ("kill * * myself", "two gaps in a row"),
    ],
)
def test_malformed_patterns_are_refused(pattern, problem):
    with pytest.raises(PatternError, match=re.escape(problem)):
        parse_pattern(pattern, max_gap=3, slang={})


# --- the engine on a small rule set ---------------------------------------------------------


def test_nothing_found_is_not_flagged():
    result = detect("see you on tuesday", small())
    assert (result.flagged, result.category, result.severity, result.matched) == (
        False,
        None,
        None,
        (),
    )


def test_gaps_allow_a_few_words():
    assert detect("I'm going to just kill myself", small()).severity == "critical"


def test_negation_a_few_words_before_drops_the_match():
    assert not detect("I would never kill myself", small()).flagged
    assert not detect("I'm not suicidal", small()).flagged


def test_negation_further_away_does_not_reach():
    assert detect("never thought I would say this but I want to die", small()).flagged
    assert detect("not that it matters now to anyone, suicidal", small()).flagged


def test_negation_stops_at_a_clause_mark_or_break_word():
    assert detect("not really, suicidal", small()).flagged
    assert detect("not sleeping but suicidal", small()).flagged


def test_negation_inside_an_except_phrase_does_not_count():
    assert detect("not okay suicidal", small()).flagged


def test_a_negation_word_that_belongs_to_the_pattern_is_no_negation():
    assert detect("I can't go on", small()).category == "acute_distress"


def test_a_negated_phrase_takes_the_words_inside_it_along():
    rule_set = rules_from(
        SMALL.replace(
            '["kill myself", "suicidal", "want to die"]',
            '["kill myself", "suicidal", "want to die", "thoughts of *2 suicide", "suicide"]',
        )
    )
    assert not detect("I'm not having any thoughts of suicide", rule_set).flagged


def test_exclusions_drop_overlapping_matches():
    assert not detect("this traffic is killing me", small()).flagged
    assert not detect("I could kill for a coffee", small()).flagged
    assert detect("I could kill him", small()).flagged


def test_past_experience_is_capped_at_medium():
    result = detect("I used to cut myself", small())
    assert (result.category, result.severity) == ("self_harm", "medium")
    assert detect("I cut myself years ago", small()).severity == "medium"
    assert detect("I cut myself last night", small()).severity == "high"


def test_requires_any_needs_the_other_phrase_somewhere_in_the_message():
    assert not detect("I picked up my pills", small()).flagged
    result = detect("I have sleeping pills. I just want to die", small())
    assert (result.severity, result.matched) == ("critical", ("s.method", "s.ideation"))


def test_requires_any_is_negated_too():
    assert not detect("I have pills but I do not want to die", small()).flagged


def test_misspellings_one_edit_away_on_long_words():
    assert detect("feeling suicdal", small()).flagged  # deletion
    assert detect("feeling suicidial", small()).flagged  # insertion
    assert detect("feeling suicidla", small()).flagged  # neighbours swapped
    assert detect("I am draimed", small()).flagged  # substitution


def test_short_words_and_real_words_are_not_misspellings():
    assert not detect("I want to dye", small()).flagged  # 'die' is too short to guess
    assert not detect("putting myself first", small()).flagged  # listed as a real word
    assert not detect("I am trained", small()).flagged  # first letter differs from 'drained'


def test_one_edit_apart():
    assert one_edit_apart("sucide", "suicide")
    assert one_edit_apart("overdoce", "overdose")
    assert one_edit_apart("suicdie", "suicide")
    assert not one_edit_apart("suicide", "suicide")
    assert not one_edit_apart("sucid", "suicide")


def test_slang_is_replaced_before_matching():
    assert detect("gonna kms", small()).category == "suicide"
    assert detect("I cant go on", small()).flagged


def test_stretched_words_match_their_plain_spelling():
    assert detect("I want to diiiiie", small()).flagged


def test_most_severe_finding_wins_then_category_priority():
    result = detect("I'm so drained. I want to kill him and I'm going to kill myself", small())
    assert (result.category, result.severity) == ("suicide", "critical")
    assert result.matched == ("s.intent", "s.ideation", "o.kill", "b.drained")
    tie = detect("cutting myself, I want to die", small())
    assert (tie.category, tie.severity) == ("suicide", "high")


def test_gaps_do_not_cross_sentences():
    assert detect("I'm going to. Kill myself", small()).severity == "high"
    assert detect("I'm going to kill myself", small()).severity == "critical"


def test_qualifier_cue_inside_a_gap_counts():
    rule_set = rules_from(
        "locale: en\nqualifiers: {n: {effect: ignore, scope: 1, cues: [not]}}\n"
        "rules: [{id: a, category: suicide, severity: high, patterns: [want *2 die]}]\n"
    )
    assert detect("I want to die", rule_set).flagged
    assert not detect("I want to not die", rule_set).flagged


# --- rules files: validation and overrides ---------------------------------------------------


def refused(*documents: str) -> str:
    with pytest.raises(RuleFileError) as error:
        rules_from(*documents)
    return str(error.value)


def test_wrong_severity_names_file_and_field():
    high = 'severity: high\n    patterns: ["kill'
    message = refused(SMALL.replace(high, high.replace("high", "urgent")))
    assert message == (
        "redflags/en.yaml: rules[1].severity: must be 'critical', 'high' or 'medium' "
        "(got 'urgent')"
    )


def test_unknown_category_names_file_and_field():
    message = refused(SMALL.replace("category: burnout", "category: tiredness"))
    assert message.startswith("redflags/en.yaml: rules[6].category: must be one of suicide,")


def test_malformed_pattern_names_file_rule_and_pattern():
    message = refused(SMALL.replace('"drained"', '"* drained"'))
    assert message == (
        "redflags/en.yaml: rules[6].patterns[0]: '* drained' must start and end with a word, "
        "not a gap"
    )


def test_unknown_lexicon_names_file_rule_and_pattern():
    message = refused(SMALL.replace('"@method"', '"@methods"'))
    assert message == "redflags/en.yaml#0: rules[2].patterns[0]: unknown lexicon @methods"


def test_unknown_field_and_missing_locale_are_named():
    assert refused("locale: en\nrulez: []\n") == "redflags/en.yaml: rulez: is not a known field"
    assert refused("rules: []\n") == "redflags/en.yaml: locale: is required"


def test_duplicate_rule_ids_are_refused():
    duplicate = SMALL.replace("id: b.drained", "id: h.act")
    assert "rule id 'h.act' appears twice" in refused(duplicate)


def test_broken_yaml_names_file_and_line():
    assert refused("locale: en\nrules: [\n") == "redflags/en.yaml: line 3: not valid YAML"


def test_the_word_no_stays_a_word_in_yaml():
    rule_set = rules_from(
        "locale: es\nqualifiers: {n: {effect: ignore, scope: 2, cues: [no]}}\n"
        "rules: [{id: a, category: suicide, severity: high, patterns: [quiero morir]}]\n",
        source="redflags/es.yaml",
    )
    assert not detect("no quiero morir", rule_set).flagged


PROGRAM_OVERRIDE = """
locale: en
fuzzy: {not_misspellings: [drainer]}
exclusions:
  battery: ["drained battery"]
rules:
  - {id: b.drained, category: burnout, severity: high, patterns: ["drained"]}
  - {id: h.act, category: self_harm, severity: high, patterns: ["cut myself"], enabled: false}
  - {id: p.new, category: postpartum, severity: high, patterns: ["baby blues"]}
"""


def test_program_file_replaces_adds_and_disables_rules_by_id():
    rule_set = rules_from(SMALL, PROGRAM_OVERRIDE)
    assert detect("so drained", rule_set).severity == "high"
    assert not detect("I cut myself", rule_set).flagged
    assert detect("baby blues", rule_set).category == "postpartum"
    assert not detect("a drained battery", rule_set).flagged  # exclusion added by name
    assert not detect("what a drainer", rule_set).flagged  # real-word list extended
    assert detect("I'm not suicidal", rule_set).flagged is False  # qualifiers kept


# --- built-in rules: the cases the brief names -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("I'm not suicidal", "en"),
        ("I would never hurt myself", "en"),
        ("no quiero morir", "es"),
        ("no me haría daño", "es"),
        ("this traffic is killing me", "en"),
        ("I could kill for a coffee", "en"),
        ("my feet are killing me", "en"),
        ("dead tired", "en"),
        ("I'm dying to see the movie", "en"),
        ("me muero de risa", "es"),
        ("me muero de hambre", "es"),
        ("we watched a documentary about suicide prevention", "en"),
        ("vimos un documental sobre la prevención del suicidio", "es"),
    ],
)
def test_builtin_rules_leave_negations_and_figures_of_speech_alone(text, locale):
    assert not detect(text, builtin(locale)).flagged


@pytest.mark.parametrize(
    ("text", "locale", "category"),
    [
        ("I can't go on", "en", "suicide"),
        ("no puedo más", "es", "acute_distress"),
        ("no quiero vivir", "es", "suicide"),
        ("sucide", "en", "suicide"),
        ("I feel suicidial", "en", "suicide"),
        ("I took an overdoce", "en", "medical"),
        ("im gonna kms", "en", "suicide"),
        ("kys", "en", "harm_to_others"),
        ("I want to unalive myself", "en", "suicide"),
        ("thinking about sewerslide", "en", "suicide"),
        ("I think I'm going to od", "en", "suicide"),
        ("I want to end it all", "en", "suicide"),
        ("im scared, dont know what to do, cant cope", "en", "acute_distress"),
    ],
)
def test_builtin_rules_catch_what_negation_must_not_hide_and_slang(text, locale, category):
    assert detect(text, builtin(locale)).category == category


@pytest.mark.parametrize(
    ("text", "locale", "severity"),
    [
        ("I have saved up pills", "en", "critical"),
        ("I'm standing on the bridge", "en", "critical"),
        ("tengo las pastillas guardadas", "es", "critical"),
        ("quiero tirarme del puente", "es", "critical"),
        ("I want to die, I have a rope", "en", "critical"),
        ("quiero morirme, tengo un cuchillo", "es", "critical"),
        ("I'm going to kill myself tonight", "en", "critical"),
        ("I keep having thoughts of hurting my baby", "en", "critical"),
        ("I want to die", "en", "high"),
        ("I wish I could disappear", "en", "medium"),
        ("ojalá no despertar mañana", "es", "medium"),
    ],
)
def test_builtin_rules_raise_severity_for_method_words_and_intent(text, locale, severity):
    assert detect(text, builtin(locale)).severity == severity


def test_builtin_rules_explain_which_rules_fired():
    result = detect("I have pills saved up and I want to die", builtin("en"))
    assert result.matched[:2] == ("suicide.means", "suicide.method_with_intent")
    assert "suicide.ideation" in result.matched


def test_builtin_rules_have_the_same_families_in_english_and_spanish():
    families = {
        locale: {rule.id: (rule.category, rule.severity) for rule in builtin(locale).rules}
        for locale in ("en", "es")
    }
    assert len(families["en"]) > 100
    assert families["en"] == families["es"]


def test_builtin_rules_cap_a_past_experience_at_medium():
    result = detect("years ago I felt suicidal", builtin("en"))
    assert (result.category, result.severity) == ("suicide", "medium")
    assert detect("de adolescente me cortaba los brazos", builtin("es")).severity == "medium"


def test_builtin_rules_leave_a_history_said_to_be_over_unless_it_is_back():
    assert not detect("years ago I felt suicidal but now I'm well", builtin("en")).flagged
    over = "hace años tuve pensamientos suicidas pero ahora estoy bien"
    assert not detect(over, builtin("es")).flagged
    back = detect("I used to cut, clean for 6 years, but I relapsed last night", builtin("en"))
    assert back.category == "self_harm"
    again = detect("llevo 6 años limpia pero ayer volví a cortarme", builtin("es"))
    assert again.category == "self_harm"


MODELLED = """
locale: en
rules:
  - {id: s.die, category: suicide, severity: high, patterns: ["want to die"]}
qualifiers:
  negation: {effect: ignore, scope: 3, cues: [not]}
"""
MODEL = """
locale: en
model:
  bias: -2.0
  threshold: 0.5
  categories: [suicide, burnout]
  weights: |
    w:vanish,3.0,1.0,0
    w:shift,3.0,1.0,1
    w:holiday,-4.0,1.0,0
"""


def test_the_model_is_asked_only_when_no_rule_matched_and_flags_medium_naming_itself():
    rule_set = rules_from(MODELLED, MODEL)
    assert rule_set.sources == ("redflags/en.yaml#0",)  # a model file gives no rules
    assert rule_set.model_source == "redflags/en.yaml#1"
    found = detect("i just want to vanish", rule_set)
    assert (found.category, found.severity, found.matched) == (
        "suicide",
        "medium",
        ("model.suicide",),
    )
    assert detect("another shift, i am done", rule_set).matched == ("model.burnout",)
    assert not detect("vanish on holiday", rule_set).flagged  # below the threshold
    assert detect("i want to die", rule_set).matched == ("s.die",)  # the rule's reading
    # A rule matched and the negation dropped it: the model is not asked.
    assert not detect("i do not want to die, i want to vanish on a shift", rule_set).flagged


URGENT = """
locale: en
urgency:
  high: ["tonight"]
  critical: ["already up", "minutes ago"]
rules:
  - {id: s.die, category: suicide, severity: high, patterns: ["want to die"]}
  - {id: d.panic, category: acute_distress, severity: high, patterns: ["panic attack"]}
  - {id: s.past, category: suicide, severity: high, patterns: ["tried to die"]}
qualifiers:
  past: {effect: cap_medium, scope: 4, direction: after, cues: [years ago]}
"""
SURE = MODEL.replace("  threshold: 0.5\n", "  threshold: 0.5\n  sure: 0.85\n")


def test_a_model_flag_is_high_past_its_sure_score_and_raised_by_urgency_words():
    rule_set = rules_from(URGENT, SURE)
    assert rule_set.model is not None and rule_set.model.sure == 0.85
    assert detect("i just want to vanish", rule_set).severity == "medium"  # 0.73
    assert detect("vanish on a shift", rule_set).severity == "high"  # 0.90
    assert detect("vanish tonight", rule_set).severity == "high"
    assert detect("the rope is already up, vanish", rule_set).severity == "critical"
    unsure = rules_from(URGENT, MODEL)
    assert unsure.model is not None and unsure.model.sure == 1.0  # no `sure`: never high
    assert detect("took them ten minutes ago, vanish", unsure).severity == "critical"
    assert not detect("tonight", unsure).flagged  # urgency alone is no flag


def test_critical_urgency_raises_a_rules_high_flag_of_harm_only():
    rule_set = rules_from(URGENT)
    assert detect("i want to die tonight", rule_set).severity == "high"
    assert detect("the rope is already up, i want to die", rule_set).severity == "critical"
    # Distress is not raised, and a flag a qualifier lowered stays lowered.
    assert detect("panic attack, already up all night", rule_set).severity == "high"
    found = detect("i tried to die years ago, ten minutes ago i laughed", rule_set)
    assert found.severity == "medium"


def test_a_program_file_may_stop_the_model():
    rule_set = rules_from(MODELLED, MODEL, "locale: en\nmodel: null\n")
    assert rule_set.model is None
    assert not detect("i just want to vanish", rule_set).flagged


@pytest.mark.parametrize(
    ("weights", "problem"),
    [
        ("    w:vanish,3.0,1.0\n", "line 1: expected feature, weight, idf and category"),
        ("    w:vanish,x,1.0,0\n", "line 1: weight, idf and category must be numbers"),
        ("    w:vanish,1.0,1.0,5\n", "names category 5, not listed"),
    ],
)
def test_a_bad_model_file_is_named(weights, problem):
    text = MODEL.split("  weights: |\n")[0] + "  weights: |\n" + weights
    with pytest.raises(RuleFileError, match=problem):
        parse_rule_file("redflags/en.model.yaml", text)


@pytest.mark.parametrize("locale", ["en", "es"])
def test_the_shipped_models_load_with_the_builtin_rules(locale):
    rule_set = load_program().red_flag_rules[locale]
    assert rule_set.model is not None
    assert rule_set.model_source == f"peerbot/dialogs/redflags/{locale}.model.yaml"
    assert len(rule_set.model.weights) > 1000
    assert 0.5 <= rule_set.model.threshold <= rule_set.model.sure <= 1.0
