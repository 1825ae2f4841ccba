"""Domain layer after the statistical NER: gazetteer entity ruler (pipeline/nlp/gazetteer.py)."""

from __future__ import annotations

import json
import re

import pytest
import spacy
from spacy.tokens import Span

from pipeline.nlp import gazetteer
from pipeline.nlp.gazetteer import (
    KNOWN_CLASSES,
    ORG_CLASSES,
    PLACE_CLASSES,
    add_domain_ruler,
    lookup,
)


@pytest.fixture(scope="module")
def nlp():
    nlp = spacy.blank("it")
    add_domain_ruler(nlp, after=None)
    return nlp


def ents(doc):
    return [(e.text, e.label_, e.ent_id_) for e in doc.ents]


# --------------------------------------------------------------------------- matching


def test_fast_loading_ruler_matches_spacys_entity_ruler():
    """aerokg_entity_ruler builds its phrase patterns with the tokenizer alone, a label at a
    time: on the shipped patterns (and a token pattern, an id-less one) it finds exactly what
    spaCy's entity_ruler finds, ids included."""
    from pathlib import Path

    patterns = [*gazetteer.all_patterns(),
                {"label": "ORG", "pattern": [{"LOWER": "consorzio"}, {"IS_TITLE": True}]},
                {"label": "LOC", "pattern": "Mare Adriatico"}]
    rulers = []
    for factory in ("entity_ruler", "aerokg_entity_ruler"):
        nlp = spacy.blank("it")
        nlp.add_pipe(factory, config={"overwrite_ents": False}).add_patterns(patterns)
        rulers.append(nlp)
    folder = Path(__file__).parent / "data" / "wikinews-dev"
    texts = [path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.txt"))]
    texts.append("Il Consorzio Spaziale e il Mare Adriatico, poi Reggio nell'Emilia e Bolzano.")
    spacy_ents, our_ents = ([[(e.start, e.end, e.label_, e.ent_id_) for e in doc.ents]
                             for doc in nlp.pipe(texts)] for nlp in rulers)
    assert spacy_ents == our_ents
    assert sum(map(len, our_ents)) > 100
    assert rulers[0].get_pipe("entity_ruler").patterns == \
        rulers[1].get_pipe("aerokg_entity_ruler").patterns


def test_orth_matcher_finds_what_spacys_phrase_matcher_finds():
    """OrthPhraseMatcher against spaCy's PhraseMatcher on the shipped patterns: the same set
    of (match id, start, end), overlapping matches included."""
    from pathlib import Path

    from spacy.matcher import PhraseMatcher

    from pipeline.nlp.rulers import OrthPhraseMatcher, _word_splitter

    nlp = spacy.blank("it")
    ours, theirs = OrthPhraseMatcher(nlp.vocab), PhraseMatcher(nlp.vocab, attr="ORTH")
    split = _word_splitter(nlp.tokenizer)
    by_label: dict[str, list[str]] = {}
    for entry in gazetteer.all_patterns():
        by_label.setdefault(entry["label"], []).append(entry["pattern"])
    for label, texts in by_label.items():
        ours.add(label, [split(text) for text in texts])
        theirs.add(label, list(nlp.tokenizer.pipe(texts)))
    folder = Path(__file__).parent / "data" / "wikinews-dev"
    for path in sorted(folder.glob("*.txt")):
        doc = nlp(path.read_text(encoding="utf-8"))
        assert set(ours(doc)) == set(theirs(doc))
    assert len(ours) == len(theirs) == len(by_label)
    assert "LOC" in ours and "PER" not in ours


def test_pattern_words_are_the_tokenizers():
    """Patterns of plain words are split on spaces, not tokenized: on every shipped pattern
    (the domain ruler's and the full-name ruler's), that gives the tokenizer's tokens."""
    from pipeline.nlp.rulers import _word_splitter

    nlp = spacy.blank("it")
    split = _word_splitter(nlp.tokenizer)
    texts = {entry["pattern"] for entry in gazetteer.all_patterns()}
    texts |= {entry["pattern"] for entry in gazetteer.full_name_organisation_patterns(nlp)}
    texts |= {"Reggio  Emilia", " Bari", "po'", "l'Aquila", "Forlì-Cesena", "A4", "10km"}
    for text in sorted(texts):
        assert split(text) == tuple(token.text for token in nlp.tokenizer(text)), text


def test_shipped_rulers_tokenized_words_are_the_shipped_tokenizers():
    """The words the shipped rulers load instead of tokenizing (rulers.TOKENIZED_FILE) are
    what the shipped model's tokenizer gives, and were made with it (else they are unused)."""
    import json

    from pipeline.nlp.loader import SHIPPED_MODEL_PATH
    from pipeline.nlp.rulers import TOKENIZED_FILE, read_tokenized, tokenizer_digest

    tokenizer = spacy.load(SHIPPED_MODEL_PATH, exclude=[
        "aerokg_org_names", "aerokg_domain_ruler"]).tokenizer
    for name in ("aerokg_org_names", "aerokg_domain_ruler"):
        path = SHIPPED_MODEL_PATH / name / TOKENIZED_FILE
        assert json.loads(path.read_text(encoding="utf-8"))["tokenizer"] == \
            tokenizer_digest(tokenizer)
        words = read_tokenized(path, tokenizer)
        assert len(words) > 50
        for text, tokens in words.items():
            assert tokens == tuple(token.text for token in tokenizer(text)), text


def test_ruler_keeps_its_tokenized_patterns_for_the_same_tokenizer_only(tmp_path):
    from pipeline.nlp.rulers import TOKENIZED_FILE

    nlp = spacy.blank("it")
    ruler = nlp.add_pipe("aerokg_entity_ruler")
    ruler.add_patterns([{"label": "LOC", "pattern": "Reggio nell'Emilia"},
                        {"label": "ORG", "pattern": "Leonardo S.p.A."},
                        {"label": "ORG", "pattern": "Agenzia Spaziale Italiana"}])
    nlp.to_disk(tmp_path / "model")
    saved = tmp_path / "model" / "aerokg_entity_ruler" / TOKENIZED_FILE
    words = json.loads(saved.read_text(encoding="utf-8"))["words"]
    assert words == {text: [token.text for token in nlp.tokenizer(text)]
                     for text in ("Leonardo S.p.A.", "Reggio nell'Emilia")}  # not plain words
    text = "Leonardo S.p.A. a Reggio nell'Emilia con l'Agenzia Spaziale Italiana"
    expected = [(e.text, e.label_) for e in nlp(text).ents]
    # loaded with the file, the same matches; the loaded words are those of the file
    words["Leonardo S.p.A."] = ["Leonardo S.p.A."]  # (a stale file, to see it used)
    data = json.loads(saved.read_text(encoding="utf-8"))
    saved.write_text(json.dumps({**data, "words": words}), encoding="utf-8")
    loaded = spacy.load(tmp_path / "model")
    assert [(e.text, e.label_) for e in loaded(text).ents] == [("Reggio nell'Emilia", "LOC"),
                                                               ("Agenzia Spaziale Italiana",
                                                                "ORG")]
    # made with another tokenizer: not used, the patterns are tokenized again
    saved.write_text(json.dumps({**data, "tokenizer": "other", "words": words}),
                     encoding="utf-8")
    assert [(e.text, e.label_) for e in spacy.load(tmp_path / "model")(text).ents] == expected
    saved.unlink()  # or without the file
    assert [(e.text, e.label_) for e in spacy.load(tmp_path / "model")(text).ents] == expected
    assert expected == [("Leonardo S.p.A.", "ORG"), ("Reggio nell'Emilia", "LOC"),
                        ("Agenzia Spaziale Italiana", "ORG")]


def test_ruler_saves_loads_and_removes_patterns(tmp_path):
    nlp = spacy.blank("it")
    ruler = nlp.add_pipe("aerokg_entity_ruler")
    ruler.add_patterns([{"label": "LOC", "pattern": "Reggio Emilia", "id": "reggio"},
                        {"label": "ORG", "pattern": "Leonardo S.p.A.", "id": "leonardo"},
                        {"label": "ORG", "pattern": "ASI"}])
    text = "Leonardo S.p.A. e l'ASI a Reggio Emilia"
    before = [(e.text, e.label_, e.ent_id_) for e in nlp(text).ents]
    assert before == [("Leonardo S.p.A.", "ORG", "leonardo"), ("ASI", "ORG", ""),
                      ("Reggio Emilia", "LOC", "reggio")]
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert [(e.text, e.label_, e.ent_id_) for e in loaded(text).ents] == before
    assert loaded.get_pipe("aerokg_entity_ruler").patterns == ruler.patterns
    loaded.get_pipe("aerokg_entity_ruler").remove("reggio")
    assert [e.text for e in loaded(text).ents] == ["Leonardo S.p.A.", "ASI"]
    lower = spacy.blank("it").add_pipe("aerokg_entity_ruler",
                                       config={"phrase_matcher_attr": "LOWER"})
    lower.add_patterns([{"label": "ORG", "pattern": "asi"}])
    assert [e.text for e in lower(lower.nlp("l'ASI")).ents] == ["ASI"]


def test_ruler_labels_follow_its_patterns():
    """The labels are worked out once per set of patterns, and still follow every change."""
    from spacy.pipeline import EntityRuler

    def spacys(ruler):
        return EntityRuler.labels.fget(ruler)

    ruler = spacy.blank("it").add_pipe("aerokg_entity_ruler")
    assert ruler.labels == spacys(ruler) == ()
    ruler.add_patterns([{"label": "LOC", "pattern": "Reggio Emilia", "id": "reggio"}])
    assert ruler.labels == spacys(ruler) == ("LOC",)
    ruler.add_patterns([{"label": "ORG", "pattern": "ASI"},
                        {"label": "GPE", "pattern": [{"LOWER": "lazio"}]}])
    assert ruler.labels == spacys(ruler) == ("GPE", "LOC", "ORG")
    ruler.remove("reggio")
    assert ruler.labels == spacys(ruler) == ("GPE", "ORG")
    ruler.clear()
    ruler.add_patterns([{"label": "PER", "pattern": "Mario Rossi"}])
    assert ruler.labels == spacys(ruler) == ("PER",)


def test_places_and_companies(nlp):
    doc = nlp(
        "La delegazione ha visitato Aerea spa di Turate e Leonardo a Venegono Superiore, "
        "in provincia di Varese."
    )
    assert ents(doc) == [
        ("Aerea spa", "ORG", "Company/Aerea S.p.A."),
        ("Turate", "LOC", "City/Turate"),
        ("Leonardo", "ORG", "Company/Leonardo S.p.A."),
        ("Venegono Superiore", "LOC", "City/Venegono Superiore"),
        ("provincia di Varese", "LOC", "Province/provincia di Varese"),
    ]


def test_agencies(nlp):
    doc = nlp("L'ASI e l'ESA hanno firmato un accordo.")
    assert ents(doc) == [
        ("ASI", "ORG", "Agency/Agenzia Spaziale Italiana"),
        ("ESA", "ORG", "Agency/Agenzia Spaziale Europea"),
    ]


def test_clusters_government_and_countries(nlp):
    doc = nlp(
        "Il Lombardia Aerospace Cluster e Aéro Montréal hanno incontrato la Regione Lombardia "
        "e il Governo del Québec: una missione tra Italia e Canada."
    )
    assert ents(doc) == [
        ("Lombardia Aerospace Cluster", "ORG", "Cluster/Lombardia Aerospace Cluster"),
        ("Aéro Montréal", "ORG", "Cluster/Aéro Montréal"),
        ("Regione Lombardia", "ORG", "GovernmentBody/Regione Lombardia"),
        ("Governo del Québec", "ORG", "GovernmentBody/Governo del Québec"),
        ("Italia", "LOC", "Country/Italia"),
        ("Canada", "LOC", "Country/Canada"),
    ]


def test_regions_provinces_and_variants(nlp):
    doc = nlp(
        "Da Forlì e dalla città metropolitana di Torino fino in Valle d’Aosta, in Lombardia, "
        "nel Trentino-Alto Adige/Südtirol e nella provincia dell'Aquila; poi negli Stati Uniti "
        "d'America e in Guyana francese."
    )
    assert ents(doc) == [
        ("Forlì", "LOC", "City/Forlì"),
        ("città metropolitana di Torino", "LOC", "Province/provincia di Torino"),
        ("Valle d’Aosta", "LOC", "Region/Valle d'Aosta"),
        ("Lombardia", "LOC", "Region/Lombardia"),
        ("Trentino-Alto Adige/Südtirol", "LOC", "Region/Trentino-Alto Adige"),
        ("provincia dell'Aquila", "LOC", "Province/provincia di L'Aquila"),
        ("Stati Uniti d'America", "LOC", "Country/Stati Uniti"),
        ("Guyana francese", "LOC", "Country/Guyana francese"),
    ]


def test_longest_match_and_priorities(nlp):
    doc = nlp("Pratt & Whitney Canada e Avio lavorano con il Politecnico di Milano in Molise.")
    assert ents(doc) == [
        ("Pratt & Whitney Canada", "ORG", "Company/Pratt & Whitney Canada"),
        ("Avio", "ORG", "Company/Avio S.p.A."),  # not the municipality of Avio (TN)
        ("Politecnico di Milano", "ORG", "University/Politecnico di Milano"),
        ("Molise", "LOC", "Region/Molise"),  # not the municipality of Molise (CB)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Ci vediamo in piazza, la vita è bella e il paese cresce.",
        "Piazza pulita, Vita nuova, Bruno ha parlato, Cento aziende, Rose e Mele.",
        "Il nato aveva la vita davanti; la nave era in porto, cento per cento.",
        "La Forza Aerea e la Base Aerea sono aeree.",
    ],
)
def test_common_words_are_not_tagged(nlp, text):
    assert ents(nlp(text)) == []


def test_ruler_does_not_overwrite_ner(nlp):
    doc = nlp.make_doc("Leonardo Rossi ha incontrato l'ASI a Turate.")
    # a fake statistical NER: one PER and one ORG without an id
    doc.ents = [Span(doc, 0, 2, label="PER"), Span(doc, 5, 6, label="ORG")]
    assert doc[5].text == "ASI"
    doc = nlp.get_pipe("aerokg_domain_ruler")(doc)
    assert ents(doc) == [
        ("Leonardo Rossi", "PER", ""),
        ("ASI", "ORG", ""),
        ("Turate", "LOC", "City/Turate"),
    ]


def test_add_domain_ruler_position(monkeypatch):
    small = [{"label": "ORG", "pattern": "ASI", "id": "Agency/Agenzia Spaziale Italiana"}]
    monkeypatch.setattr(gazetteer, "all_patterns", lambda: small)
    nlp = spacy.blank("it")
    nlp.add_pipe("ner")
    nlp.add_pipe("sentencizer")
    ruler = add_domain_ruler(nlp)
    assert nlp.pipe_names == ["ner", "aerokg_domain_ruler", "sentencizer"]
    assert ruler.overwrite is False
    assert len(ruler) == 1

    nlp = spacy.blank("it")
    nlp.add_pipe("sentencizer")
    add_domain_ruler(nlp, name="domain")  # no "ner": goes last
    assert nlp.pipe_names == ["sentencizer", "domain"]


# --------------------------------------------------------------------------- lookup


def test_lookup():
    assert lookup("ASI") == ("Agency", "Agenzia Spaziale Italiana")
    assert lookup("Agenzia Spaziale Italiana") == ("Agency", "Agenzia Spaziale Italiana")
    assert lookup("Lombardia Aerospace Cluster") == ("Cluster", "Lombardia Aerospace Cluster")
    assert lookup("Distretto Aerospaziale Lombardo") == ("Cluster", "Lombardia Aerospace Cluster")
    assert lookup("Turate") == ("City", "Turate")
    assert lookup("Valle d’Aosta") == ("Region", "Valle d'Aosta")
    assert lookup("Provincia di Varese") == ("Province", "provincia di Varese")
    assert lookup("USA") == ("Country", "Stati Uniti")
    assert lookup("Avio") == ("Company", "Avio S.p.A.")
    # kept out of the ruler by the common-word filter, still known to lookup
    assert lookup("Crema") == ("City", "Crema")
    assert lookup("Non esiste") is None


# --------------------------------------------------------------------------- patterns & data


def test_lookup_table_does_not_need_the_common_word_filter():
    """lookup() builds its table without the Italian lexicon (the ruler's filter, most of the
    table's cost), and it is the table the filtered entries give."""
    from pipeline.nlp import gazetteer

    with_flags = {alias: (cls, canonical)
                  for alias, (cls, canonical, _) in gazetteer._resolved().items()}
    without = {alias: (cls, canonical)
               for alias, (cls, canonical, _) in gazetteer._resolved(flags=False).items()}
    assert with_flags == without
    assert any(not keep for *_, keep in gazetteer._place_entries())  # the filter does act
    assert all(keep for *_, keep in gazetteer._place_entries(flags=False))


def test_every_pattern_id_has_a_known_class():
    patterns = gazetteer.all_patterns()
    assert len(patterns) > 8000
    for p in patterns:
        assert isinstance(p["pattern"], str) and p["pattern"].strip()
        cls, _, canonical = p["id"].partition("/")
        assert cls in KNOWN_CLASSES, p
        assert canonical, p
        assert p["label"] == ("ORG" if cls in ORG_CLASSES else "LOC"), p
        assert cls in ORG_CLASSES or cls in PLACE_CLASSES


def test_one_pattern_per_text():
    texts = [p["pattern"] for p in gazetteer.all_patterns()]
    assert len(texts) == len(set(texts))


def test_italian_units_are_complete():
    ids = {p["id"] for p in gazetteer.place_patterns()}
    regions = {i for i in ids if i.startswith("Region/")}
    provinces = {i for i in ids if i.startswith("Province/")}
    assert len(regions) == 20
    assert len(provinces) >= 100  # 106 in ISTAT's 2024 list (Valle d'Aosta has none)
    assert "Province/provincia di Bolzano" in provinces
    assert "Province/provincia di Monza e della Brianza" in provinces
    assert {
        "Region/Valle d'Aosta",
        "Region/Trentino-Alto Adige",
        "Region/Friuli-Venezia Giulia",
        "Region/Emilia-Romagna",
    } <= regions


def test_comuni_csv_decoding():
    rows = gazetteer.load_comuni()
    names = {r["name"] for r in rows}
    assert {"Forlì", "Aosta", "Cantù", "Turate", "Venegono Superiore"} <= names
    assert {r["region"] for r in rows} >= {
        "Valle d'Aosta/Vallée d'Aoste",
        "Trentino-Alto Adige/Südtirol",
    }
    assert any(r["alt_name"] == "Števerjan" for r in rows)  # cp1252-only character
    assert not any("Ã" in n for n in names)


@pytest.mark.parametrize(
    ("name", "capital", "expected"),
    [
        ("Turate", False, True),  # a verb form (turare) only: kept
        ("Venegono Superiore", False, True),
        ("Cento", False, False),
        ("Vita", False, False),
        ("Paese", False, False),
        ("Calcio", False, False),
        ("Bruno", False, False),
        ("Re", False, False),
        ("Crema", False, False),
        ("Latina", True, True),  # provincial capitals always stay
        ("Prato", True, True),
    ],
)
def test_municipality_filter(name, capital, expected):
    assert gazetteer.municipality_is_pattern(name, capital) is expected


def _records():
    return [("org", r) for r in gazetteer.load_organisations()] + [
        ("country", r) for r in gazetteer.load_countries()
    ]


def test_data_files_parse():
    orgs = gazetteer.load_organisations()
    countries = gazetteer.load_countries()
    assert 120 <= len(orgs) <= 320
    assert len(countries) >= 200
    for r in orgs:
        assert set(r) <= {"name", "aliases", "class", "country", "note"}, r
        assert r["class"] in ORG_CLASSES, r
        assert r["country"] is None or re.fullmatch(r"[A-Z]{2}", r["country"]), r
    for r in countries:
        assert set(r) <= {"name", "aliases", "class", "iso", "note"}, r
        assert r["class"] in {"Country", "Continent"}, r
        assert r["iso"] is None or re.fullmatch(r"[A-Z]{2}", r["iso"]), r
    for _, r in _records():
        assert isinstance(r["name"], str) and r["name"] == r["name"].strip() and r["name"]
        assert isinstance(r["aliases"], list)
        assert all(isinstance(a, str) and a == a.strip() and a for a in r["aliases"]), r
    isos = [r["iso"] for r in countries if r["iso"]]
    assert len(isos) == len(set(isos))
    names = {r["name"] for r in countries}
    assert {
        "Stati Uniti",
        "Regno Unito",
        "Russia",
        "Cina",
        "Giappone",
        "Germania",
        "Francia",
        "Canada",
        "Italia",
        "Guyana francese",
        "Europa",
        "America del Nord",
        "America Latina",
        "Oceania",
        "Antartide",
    } <= names


def test_no_alias_names_two_entries():
    seen: dict[str, str] = {}
    for kind, r in _records():
        for alias in dict.fromkeys([r["name"], *r["aliases"]]):
            owner = f"{kind}:{r['name']}"
            assert seen.setdefault(alias, owner) == owner, (alias, seen[alias], owner)


def test_organisation_alias_rules():
    lexicon = gazetteer.italian_lexicon()
    assert "vita" in lexicon and "piazza" in lexicon  # the lexicon is there
    for r in gazetteer.load_organisations():
        for alias in [r["name"], *r["aliases"]]:
            if len(alias) < 3:
                assert alias in gazetteer.SHORT_ALIASES_OK, alias
            if " " not in alias and alias.lower() in lexicon:
                assert alias in gazetteer.LEXICON_ALIASES_OK, alias
    left_out = {"TAS", "ICE", "MIT", "ITA", "EAC", "IAF", "NRC", "Aerea"}
    assert not left_out & {a for r in gazetteer.load_organisations() for a in r["aliases"]}


def test_shipped_lexicon_is_what_spacy_lookups_data_gives(tmp_path):
    """The shipped word list (read in a few milliseconds) is the one made from the installed
    spacy-lookups-data; remade byte for byte by write_italian_lexicon."""
    assert gazetteer.italian_lexicon() == gazetteer.build_italian_lexicon()
    assert {"piazza", "crema", "governo"} <= gazetteer.italian_lexicon()
    assert "torino" not in gazetteer.italian_lexicon()
    assert gazetteer.write_italian_lexicon(tmp_path / "lexicon.txt.gz") > 90_000
    assert (tmp_path / "lexicon.txt.gz").read_bytes() == gazetteer.LEXICON_PATH.read_bytes()


def test_ruler_warns_without_patterns_without_counting_them(monkeypatch):
    """spaCy's check for patterns counted every pattern at every Doc; the ruler's only looks
    for one, and still warns (W036) when there is none."""
    from spacy.pipeline import EntityRuler

    ruler = spacy.blank("it").add_pipe("aerokg_entity_ruler")
    with pytest.warns(UserWarning, match="W036"):
        ruler(ruler.nlp("Roma"))
    ruler.add_patterns([{"label": "LOC", "pattern": "Roma"}])

    def counted(self):
        raise AssertionError("the patterns were counted")

    monkeypatch.setattr(EntityRuler, "__len__", counted)
    assert [e.text for e in ruler(ruler.nlp("a Roma")).ents] == ["Roma"]
