"""Tests for the relation rules roles, locations, memberships and partnerships
(pipeline.nlp.relations.*).

Docs are built by hand on a blank Italian pipeline: the tokenizer's words, part-of-speech tags
from a small default table (plus per-test overrides), no dependency parse (every token hangs
off its sentence's first token), and named entities as given ("surface", label[, ent_id]).
The rules read token windows over the mentions, so a table of Italian sentences and the
relations expected from them is the main test. The last tests run the shipped model on the
worked example when it is installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, Span

import pipeline  # noqa: F401  (registers aerokg components)
from pipeline.corpus import Article
from pipeline.datamodel import ORGANIZATION, PLACE, Mention, RelationKind
from pipeline.nlp.analyse import mentions_of
from pipeline.nlp.relations import locations, memberships, partnerships, roles
from pipeline.nlp.relations.context import ExtractionContext

REPO = Path(__file__).resolve().parents[1]
SEED = Path("/work/shared/corpus/seed-article.txt")

_NLP = spacy.blank("it")

_DET = {"il", "lo", "la", "i", "gli", "le", "l'", "l’", "un", "uno", "una", "un'", "un’"}
_ADP = {
    "a", "ad", "al", "alla", "allo", "ai", "agli", "alle", "all'", "di", "del", "della", "dello",
    "dei", "degli", "delle", "dell'", "dell’", "d'", "da", "dal", "dalla", "dai", "dall'", "in",
    "nel", "nella", "nei", "nell'", "nell’", "con", "su", "sul", "sulla", "per", "tra", "fra",
    "presso", "verso",
}  # fmt: skip
_CCONJ = {"e", "ed", "o", "nonché", "ma"}
_AUX = {"è", "sono", "ha", "hanno", "era", "stato", "stata", "sarà", "fa", "fanno"}
_NUM = {"due", "tre", "quattro", "cinque"}
_ADJ = {
    "canadese", "naturale", "nuovo", "nuova", "storico", "polacco", "americano", "russo",
    "italiano", "francese", "tedesca", "ucraino", "legale", "centrale", "orientale",
    "internazionale", "aerospaziali", "strategica", "ex",
}  # fmt: skip
_VERB = {
    "commenta", "precisa", "ha", "firmato", "siglato", "collabora", "collaborano", "nominato",
    "divenuto", "visitato", "ospitato", "dichiarato", "aderisce", "appartiene", "controllata",
    "partito", "diretto", "riunisce", "iniziare", "annunciato", "arrivata", "spinto",
}  # fmt: skip
_LEMMA = {"è": "essere", "sono": "essere", "stato": "essere", "divenuto": "divenire",
          "nominato": "nominare", "firmato": "firmare", "siglato": "siglare",
          "collabora": "collaborare", "collaborano": "collaborare", "iniziare": "iniziare"}


def _pos(word: str) -> str:
    low = word.lower().replace("’", "'")
    if not word.strip():
        return "SPACE"
    if all(not c.isalnum() for c in word):
        return "PUNCT"
    if low in _DET:
        return "DET"
    if low in _ADP:
        return "ADP"
    if low in _CCONJ:
        return "CCONJ"
    if low in _NUM or word.isdigit():
        return "NUM"
    if low in _AUX:
        return "AUX"
    if low in _VERB:
        return "VERB"
    if low in _ADJ:
        return "ADJ"
    return "PROPN" if word[:1].isupper() else "NOUN"


def build(text: str, ents: list[tuple] = (), pos: dict[str, str] | None = None
          ) -> tuple[Doc, ExtractionContext]:
    """A one-sentence-per-period Doc of ``text`` with entities (surface, label[, ent_id]) -
    each surface at its first occurrence not yet used ("surface#n" for the n-th)."""
    pos = pos or {}
    tokens = _NLP.tokenizer(text)
    words = [t.text for t in tokens]
    spaces = [bool(t.whitespace_) for t in tokens]
    starts = [0] + [i + 1 for i, w in enumerate(words[:-1]) if w in (".", "!", "?")]
    heads = []
    for i in range(len(words)):
        heads.append(max(s for s in starts if s <= i))
    tags = [pos.get(w, _pos(w)) for w in words]
    lemmas = [_LEMMA.get(w.lower(), w.lower()) for w in words]
    doc = Doc(_NLP.vocab, words=words, spaces=spaces, pos=tags, lemmas=lemmas,
              heads=heads, deps=["ROOT" if h == i else "dep" for i, h in enumerate(heads)],
              sent_starts=[i in starts for i in range(len(words))])
    spans = []
    used: set[int] = set()
    for ent in ents:
        surface, label = ent[0], ent[1]
        ent_id = ent[2] if len(ent) > 2 else ""
        name, _, n = surface.partition("#")
        found = [i for i in _find_all(text, name)]
        if n:
            start = found[int(n) - 1]
        else:
            start = next(i for i in found if i not in used)
        used.add(start)
        span = doc.char_span(start, start + len(name))
        assert span is not None, f"{name!r} is not on token boundaries"
        spans.append(Span(doc, span.start, span.end, label=label, span_id=ent_id))
    doc.ents = sorted(spans, key=lambda s: s.start)
    article = Article(id="test", text=text)
    return doc, ExtractionContext(doc=doc, article=article, mentions=mentions_of(doc))


def _find_all(text: str, name: str) -> list[int]:
    out, i = [], text.find(name)
    while i >= 0:
        before = text[i - 1] if i else " "
        after = text[i + len(name)] if i + len(name) < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            out.append(i)
        i = text.find(name, i + 1)
    return out


def _name(value) -> str:
    if isinstance(value, Mention):
        return value.canonical if value.source == "rule" and value.canonical else value.text
    return value


def role_rows(text, ents, pos=None) -> set[tuple]:
    doc, ctx = build(text, ents, pos)
    rows = set()
    for r in roles.extract(doc, ctx):
        assert r.kind == RelationKind.ROLE
        org = r.args.get("organization")
        rows.add((r.args["person"].text, r.args["role"], _name(org) if org else None))
    return rows


def location_rows(text, ents, pos=None) -> set[tuple]:
    doc, ctx = build(text, ents, pos)
    return {(_name(r.args["entity"]), _name(r.args["place"]))
            for r in locations.extract(doc, ctx)}


def membership_rows(text, ents, pos=None) -> set[tuple]:
    doc, ctx = build(text, ents, pos)
    return {(_name(r.args["member"]), _name(r.args["organization"]))
            for r in memberships.extract(doc, ctx)}


def partnership_rows(text, ents, pos=None) -> set[frozenset]:
    doc, ctx = build(text, ents, pos)
    return {frozenset((_name(r.args["party_a"]), _name(r.args["party_b"])))
            for r in partnerships.extract(doc, ctx)}


# --------------------------------------------------------------------------- roles

ROLE_CASES = [
    # appositions after the name
    ("Lo commenta Angelo Vallerani, presidente del distretto che rappresenta le imprese.",
     [("Angelo Vallerani", "PER")],
     {("Angelo Vallerani", "presidente", "distretto")}),  # a rule mention, see below
    ("Come spiega Suzanne M. Benoît, presidente del Cluster Aéro Montréal: «Bene».",
     [("Suzanne M. Benoît", "PER"), ("Cluster Aéro Montréal", "ORG")],
     {("Suzanne M. Benoît", "presidente", "Cluster Aéro Montréal")}),
    ("Lo precisa Marianna Simone, Delegato del Québec in Italia.",
     [("Marianna Simone", "PER"), ("Québec", "LOC"), ("Italia", "LOC")],
     {("Marianna Simone", "delegato", "Québec")}),
    ("Ha parlato Maroš Šefčovič, il vicepresidente della Commissione europea.",
     [("Maroš Šefčovič", "PER"), ("Commissione europea", "ORG")],
     {("Maroš Šefčovič", "vicepresidente", "Commissione europea")}),
    ("Lo ha detto Gary Ginn, coroner della Fayette County.",
     [("Gary Ginn", "PER"), ("Fayette County", "LOC")],
     {("Gary Ginn", "coroner", "Fayette County")}),
    ("Con la guida di Umberto Guidoni: l'astronauta che ha vissuto nello spazio.",
     [("Umberto Guidoni", "PER")],
     {("Umberto Guidoni", "astronauta", None)}),
    ("Erano presenti Andrzej Kremer, vice-ministro degli Affari Esteri.",
     [("Andrzej Kremer", "PER")],
     {("Andrzej Kremer", "vice-ministro", None)}),
    ("Erano presenti Paweł Wypych, segretario di Stato.",
     [("Paweł Wypych", "PER")],
     {("Paweł Wypych", "segretario di stato", None)}),
    ("Parla Mario Rossi, presidente e amministratore delegato di Leonardo.",
     [("Mario Rossi", "PER"), ("Leonardo", "ORG")],
     {("Mario Rossi", "presidente", "Leonardo"),
      ("Mario Rossi", "amministratore delegato", "Leonardo")}),
    ("Messaggi da Rosa Calipari (moglie del responsabile del SISMI ucciso in Iraq e "
     "parlamentare nelle file del PD).",
     [("Rosa Calipari", "PER"), ("SISMI", "ORG"), ("Iraq", "LOC"), ("PD", "ORG")],
     {("Rosa Calipari", "parlamentare", None)}),
    # role before the name
    ("Il presidente della Polonia Lech Kaczyński è morto.",
     [("Polonia", "LOC"), ("Lech Kaczyński", "PER")],
     {("Lech Kaczyński", "presidente", "Polonia")}),
    ("La sindaca Virginia Raggi ha firmato l'ordinanza.",
     [("Virginia Raggi", "PER")],
     {("Virginia Raggi", "sindaca", None)}),
    ("Lo ha riaperto il ministro dell'economia Silvio Schembri.",
     [("Silvio Schembri", "PER")],
     {("Silvio Schembri", "ministro", None)}),
    ("Ha commentato il direttore di Ronahî TV, Bnyad Jziry, mentre quello di Sterk, Aysal "
     "Avesta, ha annunciato ricorso.",
     [("Ronahî TV", "ORG"), ("Bnyad Jziry", "PER"), ("Sterk", "ORG"), ("Aysal Avesta", "PER")],
     {("Bnyad Jziry", "direttore", "Ronahî TV"), ("Aysal Avesta", "direttore", "Sterk")}),
    ("Il presidente russo, Dmitrij Medvedev, ha aperto un'inchiesta.",
     [("Dmitrij Medvedev", "PER")],
     {("Dmitrij Medvedev", "presidente", "Russia")}),
    ("Si è opposto il presidente americano George W. Bush.",
     [("George W. Bush", "PER")],
     {("George W. Bush", "presidente", "Stati Uniti")}),
    ("Il portavoce della FAA Laura Brown ha parlato alla CNN.",
     [("FAA", "ORG"), ("Laura Brown", "PER"), ("CNN", "ORG")],
     {("Laura Brown", "portavoce", "FAA")}),
    ("Il presidente del Sejm (la Camera bassa del Parlamento) Bronisław Komorowski ha giurato.",
     [("Sejm", "ORG"), ("Camera bassa", "ORG"), ("Parlamento", "ORG"),
      ("Bronisław Komorowski", "PER")],
     {("Bronisław Komorowski", "presidente", "Sejm")}),
    ("L'obiettivo era portare i due astronauti dell'equipaggio (Douglas Hurley e Robert "
     "Behnken) sulla stazione.",
     [("Douglas Hurley", "PER"), ("Robert Behnken", "PER")],
     {("Douglas Hurley", "astronauta", None), ("Robert Behnken", "astronauta", None)}),
    ("Al Senato della Repubblica, il presidente Renato Schifani ha chiesto un minuto di "
     "silenzio.",
     [("Senato della Repubblica", "ORG"), ("Renato Schifani", "PER")],
     {("Renato Schifani", "presidente", "Senato della Repubblica")}),
    ("A bordo c'erano quattro ufficiali dell'Aeronautica Militare: il capitano pilota Alessandro "
     "Dotto e il capitano Giuseppe Palminteri.",
     [("Aeronautica Militare", "ORG"), ("Alessandro Dotto", "PER"),
      ("Giuseppe Palminteri", "PER")],
     {("Alessandro Dotto", "capitano", "Aeronautica Militare"),
      ("Giuseppe Palminteri", "capitano", "Aeronautica Militare")}),
    # a military rank takes the armed force of the person's other role, nothing else
    ("È giunto il generale Pasquale Preziosa, Capo di Stato Maggiore dell'Aeronautica "
     "Militare.",
     [("Pasquale Preziosa", "PER"), ("Aeronautica Militare", "ORG")],
     {("Pasquale Preziosa", "generale", "Aeronautica Militare"),
      ("Pasquale Preziosa", "capo di stato maggiore", "Aeronautica Militare")}),
    ("Ha scritto al Generale Umberto Rocca, Presidente del Gruppo Medaglie d'Oro.",
     [("Umberto Rocca", "PER"), ("Gruppo Medaglie d'Oro", "ORG")],
     {("Umberto Rocca", "generale", None),
      ("Umberto Rocca", "presidente", "Gruppo Medaglie d'Oro")}),
    # copula and appointment
    ("Mario Rossi è stato nominato presidente di Leonardo.",
     [("Mario Rossi", "PER"), ("Leonardo", "ORG")],
     {("Mario Rossi", "presidente", "Leonardo")}),
    ("La sindaca ha firmato la nomina di Giovanni Mottura a presidente nonché amministratore "
     "delegato di ATAC.",
     [("Giovanni Mottura", "PER"), ("ATAC", "ORG")],
     {("Giovanni Mottura", "presidente", "ATAC"),
      ("Giovanni Mottura", "amministratore delegato", "ATAC")}),
    ("Il predecessore, Paolo Simioni, ha lasciato per iniziare il proprio incarico di "
     "amministratore delegato di ENAV.",
     [("Paolo Simioni", "PER"), ("ENAV", "ORG")],
     {("Paolo Simioni", "amministratore delegato", "ENAV")}),
    # feminine and plural forms are put in the singular of the gender written
    ("Hanno parlato le ministre Anna Bianchi e Carla Verdi.",
     [("Anna Bianchi", "PER"), ("Carla Verdi", "PER")],
     {("Anna Bianchi", "ministra", None), ("Carla Verdi", "ministra", None)}),
]

ROLE_NEGATIVE_CASES = [
    # a former office and a role of someone else are not bound to the name that follows
    ("Non era a bordo il fratello del presidente polacco, l'ex primo ministro Jarosław "
     "Kaczyński.",
     [("Jarosław Kaczyński", "PER")]),
    ("Lo ha detto il portavoce del sindaco Stanislaw Kotarba.",
     [("Stanislaw Kotarba", "PER")]),
    ("Mario Rossi ha incontrato il presidente ieri.", [("Mario Rossi", "PER")]),
    ("La commissione parlamentare Mario Rossi ha deciso.", [("Mario Rossi", "PER")]),
]


ROLE_NER_NOISE_CASES = [
    # a surname starting with a preposition is a name, not a badly cut span
    ("Lo ha chiesto Di Pietro, ministro delle infrastrutture.",
     [("Di Pietro", "PER")],
     {("Di Pietro", "ministro", None)}),
    # a span ending with a preposition is ignored ("Delegato del" tagged LOC): the role noun
    # is read, without an organisation
    ("Lo precisa Marianna Simone, Delegato del Québec.",
     [("Marianna Simone", "PER"), ("Delegato del", "LOC")],
     {("Marianna Simone", "delegato", None)}),
    # a line break ends the window: the name on the next line is not "capo dell'Esercito"
    ("Le vittime:\n- General Franciszek Gągor, capo dell'Esercito\nAndrzej Przewoźnik, "
     "segretario generale dell'Ufficio.",
     [("General Franciszek Gągor", "ORG"), ("Esercito", "ORG"), ("Andrzej Przewoźnik", "PER"),
      ("Ufficio", "ORG")],
     {("Andrzej Przewoźnik", "segretario generale", "Ufficio")}),
]


@pytest.mark.parametrize("text,ents,expected", ROLE_NER_NOISE_CASES)
def test_roles_with_ner_noise(text, ents, expected):
    assert role_rows(text, ents) == expected


@pytest.mark.parametrize("text,ents,expected", ROLE_CASES)
def test_roles(text, ents, expected):
    assert role_rows(text, ents) == expected


def test_role_not_bound_across_former_office():
    text, ents = ROLE_NEGATIVE_CASES[0]
    assert role_rows(text, ents) == set()


def test_role_of_the_inner_noun():
    text, ents = ROLE_NEGATIVE_CASES[1]
    assert role_rows(text, ents) == {("Stanislaw Kotarba", "sindaco", None)}


@pytest.mark.parametrize("text,ents", ROLE_NEGATIVE_CASES[2:])
def test_no_role(text, ents):
    assert role_rows(text, ents) == set()


def test_role_organisation_common_noun_is_a_rule_mention():
    doc, ctx = build("Lo commenta Angelo Vallerani, presidente del distretto lombardo.",
                     [("Angelo Vallerani", "PER")])
    (rel,) = list(roles.extract(doc, ctx))
    org = rel.args["organization"]
    assert (org.text, org.coarse, org.cls, org.source) == ("distretto", ORGANIZATION, "Cluster",
                                                           "rule")
    assert rel.args["role_lemma"] == "presidente"
    assert 0 < rel.confidence <= 1 and rel.rule.startswith("roles.")
    assert "Vallerani" in rel.evidence.sentence


def test_nationality_adjective_reuses_the_country_mention():
    doc, ctx = build("Il presidente russo, Dmitrij Medvedev, ha parlato con la Russia.",
                     [("Dmitrij Medvedev", "PER"), ("Russia", "LOC")])
    (rel,) = list(roles.extract(doc, ctx))
    assert rel.args["organization"].source != "rule"
    assert rel.args["organization"].text == "Russia"


def test_role_lexicon_forms():
    forms = roles.role_forms()
    assert forms[("amministratrice", "delegata")].lemma == "amministratore delegato"
    assert forms[("sindache",)].singular == "sindaca"
    assert forms[("astronauti",)].singular == "astronauta"
    assert forms[("capo", "di", "stato", "maggiore")].plural is False
    assert roles.country_of_adjective()["canadese"] == "Canada"


def test_country_adjectives_name_known_countries():
    from pipeline.nlp.gazetteer import load_countries

    known = {rec["name"] for rec in load_countries()}
    assert set(roles.lexicon()["country_adjectives"]) <= known


# --------------------------------------------------------------------------- locations

LOCATION_CASES = [
    ("Palazzo Pirelli a Milano, 31esimo piano, ospita il seminario.",
     [("Palazzo Pirelli", "LOC"), ("Milano", "LOC", "City/Milano")],
     {("Palazzo Pirelli", "Milano")}),
    ("Hanno visitato Aerea spa di Turate.",
     [("Aerea spa", "ORG", "Company/Aerea S.p.A."), ("Turate", "LOC", "City/Turate")],
     {("Aerea spa", "Turate")}),
    ("Il sistema della provincia canadese del Québec e quello lombardo.",
     [("Québec", "LOC")],
     {("Québec", "Canada")}),
    ("Le manifestazioni davanti alla sede centrale di Eutelsat, a Parigi.",
     [("Eutelsat", "ORG"), ("Parigi", "LOC")],
     {("Eutelsat", "Parigi")}),
    ("Ha ordinato ad Eutelsat, la cui sede legale è in Francia, di fermare i canali.",
     [("Eutelsat", "ORG"), ("Francia", "LOC", "Country/Francia")],
     {("Eutelsat", "Francia")}),
    ("Ne parla Telespazio, con sede a Roma.",
     [("Telespazio", "ORG"), ("Roma", "LOC", "City/Roma")],
     {("Telespazio", "Roma")}),
    ("Il volo è partito da Toronto, in Canada.",
     [("Toronto", "LOC"), ("Canada", "LOC", "Country/Canada")],
     {("Toronto", "Canada")}),
    ("Le aziende di Venegono Superiore e Samarate, in provincia di Varese.",
     [("Venegono Superiore", "LOC", "City/Venegono Superiore"),
      ("Samarate", "LOC", "City/Samarate"),
      ("provincia di Varese", "LOC", "Province/provincia di Varese")],
     {("Venegono Superiore", "provincia di Varese"), ("Samarate", "provincia di Varese")}),
    ("È precipitato presso Prads-Haute-Bléone, nell'arrondissement di Digne-les-Bains, in Alta "
     "Provenza.",
     [("Prads-Haute-Bléone", "LOC"), ("Digne-les-Bains", "LOC"), ("Alta Provenza", "LOC")],
     {("Prads-Haute-Bléone", "Digne-les-Bains"), ("Digne-les-Bains", "Alta Provenza")}),
    ("Incidente aereo in Francia, nel comune di Ligny-en-Barrois.",
     [("Francia", "LOC", "Country/Francia"), ("Ligny-en-Barrois", "LOC")],
     {("Ligny-en-Barrois", "Francia")}),
    ("Il villaggio si trova nell'oblast di Donec'k (Ucraina orientale).",
     [("Donec'k", "LOC"), ("Ucraina", "LOC", "Country/Ucraina")],
     {("Donec'k", "Ucraina")}),
    ("Il volo era partito dall'aeroporto di Barcellona.",
     [("Barcellona", "LOC")],
     {("aeroporto di Barcellona", "Barcellona")}),
    ("È stato riaperto l'aeroporto internazionale di Malta.",
     [("Malta", "LOC", "Country/Malta")],
     {("aeroporto internazionale di Malta", "Malta")}),
    ("Tre aziende: Aerea spa di Turate, Leonardo divisione velivoli ed elicotteri, "
     "rispettivamente a Venegono Superiore e a Samarate.",
     [("Aerea spa", "ORG"), ("Turate", "LOC"), ("Leonardo", "ORG"),
      ("Venegono Superiore", "LOC"), ("Samarate", "LOC")],
     {("Aerea spa", "Turate"), ("Leonardo", "Venegono Superiore"), ("Leonardo", "Samarate")}),
    # a one-word "person" the gazetteer knows as a company is one
    ("Tre aziende: Aerea spa di Turate, Leonardo divisione velivoli ed elicotteri, "
     "rispettivamente a Venegono Superiore e a Samarate.",
     [("Aerea spa", "ORG"), ("Turate", "LOC"), ("Leonardo", "PER"),
      ("Venegono Superiore", "LOC"), ("Samarate", "LOC")],
     {("Aerea spa", "Turate"), ("Leonardo", "Venegono Superiore"), ("Leonardo", "Samarate")}),
    ("Tortora (Cosenza) si oppone alla discarica.",
     [("Tortora", "ORG"), ("Cosenza", "LOC")],
     {("Tortora", "Cosenza")}),
    ("Insegna al Politecnico di Milano.",
     [("Politecnico di Milano", "ORG")],
     {("Politecnico di Milano", "Milano")}),
]

LOCATION_NEGATIVE_CASES = [
    # "respectively" needs every item named: "Mario Rossi" is a person, not a company
    ("Le sedi: Aerea spa di Turate, Mario Rossi divisione velivoli, rispettivamente a Venegono "
     "Superiore e a Samarate.",
     [("Aerea spa", "ORG"), ("Mario Rossi", "PER"), ("Venegono Superiore", "LOC"),
      ("Samarate", "LOC")]),
    ("Il volo da Jakarta a Makassar è arrivato.", [("Jakarta", "LOC"), ("Makassar", "LOC")]),
    ("Il militare è morto a sud di Herat, nella provincia di Farah.",
     [("Herat", "LOC"), ("provincia di Farah", "LOC")]),
    ("Lo ha deciso il governo di Gerusalemme.", [("governo", "ORG"), ("Gerusalemme", "LOC")]),
    ("Hanno colpito in Italia, in Francia e in Germania.",
     [("Italia", "LOC", "Country/Italia"), ("Francia", "LOC", "Country/Francia"),
      ("Germania", "LOC", "Country/Germania")]),
    ("La Stazione Spaziale Internazionale (ISS) orbita intorno alla Terra.",
     [("Stazione Spaziale Internazionale", "LOC"), ("ISS", "LOC"), ("Terra", "LOC")]),
    ("Lo ha detto a Roma, in Piazza Venezia.",
     [("Roma", "LOC", "City/Roma"), ("Piazza Venezia", "LOC")]),
]


@pytest.mark.parametrize("text,ents,expected", LOCATION_CASES)
def test_locations(text, ents, expected):
    assert location_rows(text, ents) == expected


@pytest.mark.parametrize("text,ents", LOCATION_NEGATIVE_CASES)
def test_no_location(text, ents):
    assert location_rows(text, ents) == set()


def test_location_rule_mentions():
    doc, ctx = build("Il volo era partito dall'aeroporto di Barcellona.", [("Barcellona", "LOC")])
    (rel,) = list(locations.extract(doc, ctx))
    entity = rel.args["entity"]
    assert (entity.coarse, entity.cls, entity.source) == (PLACE, "Facility", "rule")
    assert rel.args["place"].source == "ner"
    doc, ctx = build("Il sistema della provincia canadese del Québec.", [("Québec", "LOC")])
    (rel,) = list(locations.extract(doc, ctx))
    place = rel.args["place"]
    assert (place.text, place.cls, place.canonical, place.source) == (
        "canadese", "Country", "Canada", "rule")


# --------------------------------------------------------------------------- memberships

MEMBERSHIP_CASES = [
    ("Hanno visitato tre aziende appartenenti al Lombardia Aerospace Cluster: Aerea spa di "
     "Turate, Leonardo divisione velivoli ed elicotteri, rispettivamente a Venegono Superiore "
     "e a Samarate.",
     [("Lombardia Aerospace Cluster", "ORG"), ("Aerea spa", "ORG"), ("Turate", "LOC"),
      ("Leonardo", "ORG"), ("Venegono Superiore", "LOC"), ("Samarate", "LOC")],
     {("Aerea spa", "Lombardia Aerospace Cluster"), ("Leonardo", "Lombardia Aerospace Cluster")}),
    ("A bordo c'erano quattro ufficiali dell'Aeronautica Militare: il capitano Alessandro Dotto "
     "e il capitano Giuseppe Palminteri su un velivolo.",
     [("Aeronautica Militare", "ORG"), ("Alessandro Dotto", "PER"),
      ("Giuseppe Palminteri", "PER")],
     {("Alessandro Dotto", "Aeronautica Militare"),
      ("Giuseppe Palminteri", "Aeronautica Militare")}),
    ("Avio è membro del Lombardia Aerospace Cluster.",
     [("Avio", "ORG"), ("Lombardia Aerospace Cluster", "ORG")],
     {("Avio", "Lombardia Aerospace Cluster")}),
    ("Avio e Telespazio fanno parte del distretto DTA.",
     [("Avio", "ORG"), ("Telespazio", "ORG"), ("DTA", "ORG")],
     {("Avio", "DTA"), ("Telespazio", "DTA")}),
    ("La Polonia aderisce alla NATO.",
     [("Polonia", "LOC"), ("NATO", "ORG")],
     {("Polonia", "NATO")}),
    ("Un airbus della Germanwings (compagnia aerea tedesca low cost controllata dalla "
     "Lufthansa) è precipitato.",
     [("Germanwings", "ORG"), ("Lufthansa", "ORG")],
     {("Germanwings", "Lufthansa")}),
    ("Il distretto accoglie le imprese associate a Confindustria, tra cui Avio e Leonardo.",
     [("Confindustria", "ORG"), ("Avio", "ORG"), ("Leonardo", "ORG")],
     {("Avio", "Confindustria"), ("Leonardo", "Confindustria")}),
    ("Nasce il DTA, che riunisce Avio, Leonardo e Telespazio.",
     [("DTA", "ORG"), ("Avio", "ORG"), ("Leonardo", "ORG"), ("Telespazio", "ORG")],
     {("Avio", "DTA"), ("Leonardo", "DTA"), ("Telespazio", "DTA")}),
    ("Messaggi da Rosa Calipari (moglie del responsabile del SISMI e parlamentare nelle file "
     "del PD).",
     [("Rosa Calipari", "PER"), ("SISMI", "ORG"), ("PD", "ORG")],
     {("Rosa Calipari", "PD")}),
]

MEMBERSHIP_NEGATIVE_CASES = [
    ("Lo commenta Angelo Vallerani, presidente del Lombardia Aerospace Cluster.",
     [("Angelo Vallerani", "PER"), ("Lombardia Aerospace Cluster", "ORG")]),
    ("Sono parte del problema Avio e Leonardo.", [("Avio", "ORG"), ("Leonardo", "ORG")]),
]


@pytest.mark.parametrize("text,ents,expected", MEMBERSHIP_CASES)
def test_memberships(text, ents, expected):
    assert membership_rows(text, ents) == expected


@pytest.mark.parametrize("text,ents", MEMBERSHIP_NEGATIVE_CASES)
def test_no_membership(text, ents):
    assert membership_rows(text, ents) == set()


# --------------------------------------------------------------------------- partnerships

PARTNERSHIP_CASES = [
    ("La regione Lombardia è il partner naturale del Québec.",
     [("Lombardia", "LOC", "Region/Lombardia"), ("Québec", "LOC")],
     {frozenset({"Lombardia", "Québec"})}),
    ("Le rivendicazioni del Giappone, storico alleato degli Usa, sono note.",
     [("Giappone", "LOC"), ("Usa", "LOC")],
     {frozenset({"Giappone", "Usa"})}),
    ("È stato firmato un accordo di cooperazione tra ASI e NASA.",
     [("ASI", "ORG"), ("NASA", "ORG")],
     {frozenset({"ASI", "NASA"})}),
    ("ASI e NASA hanno firmato un memorandum d'intesa.",
     [("ASI", "ORG"), ("NASA", "ORG")],
     {frozenset({"ASI", "NASA"})}),
    ("Leonardo ha siglato un accordo con Boeing.",
     [("Leonardo", "ORG"), ("Boeing", "ORG")],
     {frozenset({"Leonardo", "Boeing"})}),
    ("Thales collabora con Leonardo.",
     [("Thales", "ORG"), ("Leonardo", "ORG")],
     {frozenset({"Thales", "Leonardo"})}),
    ("Il seminario, organizzato da ASI in collaborazione con ESA, è finito.",
     [("ASI", "ORG"), ("ESA", "ORG")],
     {frozenset({"ASI", "ESA"})}),
    ("Sono arrivati il Cluster Aéro Montréal e il Lombardia Aerospace Cluster. I dati hanno "
     "spinto all'avvicinamento dei due cluster aerospaziali.",
     [("Cluster Aéro Montréal", "ORG", "Cluster/Aéro Montréal"),
      ("Lombardia Aerospace Cluster", "ORG", "Cluster/Lombardia Aerospace Cluster")],
     {frozenset({"Cluster Aéro Montréal", "Lombardia Aerospace Cluster"})}),
]

PARTNERSHIP_NEGATIVE_CASES = [
    ("La Siria e Israele non hanno mai firmato un'intesa.",
     [("Siria", "LOC"), ("Israele", "LOC")]),
    ("Sale la tensione tra Pechino e Washington.", [("Pechino", "LOC"), ("Washington", "LOC")]),
    ("Nessun accordo tra Alitalia e Air France.", [("Alitalia", "ORG"), ("Air France", "ORG")]),
    ("L'accordo tra Francia, Germania e Italia è saltato.",
     [("Francia", "LOC"), ("Germania", "LOC"), ("Italia", "LOC")]),
    # "i due cluster" needs exactly two clusters in the article
    ("Erano presenti tre cluster: Aéro Montréal, il Lombardia Aerospace Cluster e il DTA. "
     "Serve l'avvicinamento dei due cluster.",
     [("Aéro Montréal", "ORG", "Cluster/Aéro Montréal"),
      ("Lombardia Aerospace Cluster", "ORG", "Cluster/Lombardia Aerospace Cluster"),
      ("DTA", "ORG", "Cluster/Distretto Tecnologico Aerospaziale")]),
]


@pytest.mark.parametrize("text,ents,expected", PARTNERSHIP_CASES)
def test_partnerships(text, ents, expected):
    assert partnership_rows(text, ents) == expected


@pytest.mark.parametrize("text,ents", PARTNERSHIP_NEGATIVE_CASES)
def test_no_partnership(text, ents):
    assert partnership_rows(text, ents) == set()


# --------------------------------------------------------------------------- shipped model

_MODEL = REPO / "pipeline" / "nlp" / "model" / "config.cfg"


@pytest.mark.slow
@pytest.mark.skipif(not _MODEL.is_file() or not SEED.is_file(),
                    reason="shipped model or worked example missing")
def test_seed_article_with_shipped_model(shipped_nlp):
    from pipeline.corpus import read_corpus

    article = read_corpus([str(SEED)]).articles[0]
    doc = shipped_nlp(article.text)
    ctx = ExtractionContext(doc=doc, article=article, mentions=mentions_of(doc))
    role_set = {(r.args["person"].text, r.args["role"]) for r in roles.extract(doc, ctx)}
    assert ("Angelo Vallerani", "presidente") in role_set
    assert ("Suzanne M. Benoît", "presidente") in role_set
    assert ("Marianna Simone", "delegato") in role_set
    loc_set = {(_name(r.args["entity"]), _name(r.args["place"]))
               for r in locations.extract(doc, ctx)}
    assert ("Palazzo Pirelli", "Milano") in loc_set
    assert ("Québec", "Canada") in loc_set
    part_set = {frozenset((_name(r.args["party_a"]), _name(r.args["party_b"])))
                for r in partnerships.extract(doc, ctx)}
    assert any("Québec" in p for p in part_set)


@pytest.mark.skipif(not (Path(__file__).resolve().parents[1] / "pipeline" / "nlp" / "model"
                         / "config.cfg").exists(), reason="needs the shipped model")
@pytest.mark.parametrize(
    "sentence, parties",
    [
        ("L'Agenzia Spaziale Italiana (ASI) e Leonardo hanno firmato ieri a Roma un accordo "
         "per lo sviluppo di un nuovo satellite.", {"Agenzia Spaziale Italiana", "Leonardo"}),
        ("Thales e Airbus hanno firmato a Tolosa un memorandum d'intesa.", {"Thales", "Airbus"}),
    ],
)
def test_signed_agreement_with_acronym_and_place_between(shipped_nlp, sentence, parties):
    from pipeline.corpus import Article
    from pipeline.nlp.analyse import to_document

    document = to_document(Article(id="t", text=sentence), shipped_nlp(sentence))
    found = [{r.args["party_a"].text, r.args["party_b"].text} for r in document.relations
             if r.kind == RelationKind.PARTNERSHIP]
    assert found == [parties]


def test_cached_word_forms_match_the_tokens_and_stay_bounded(monkeypatch):
    """roles.norm and events._low/_lemma keep forms by StringStore hash: the same answers as
    computed afresh, and never more than FORM_CACHE_SIZE entries."""
    from pipeline.nlp.relations import doc_index, events

    monkeypatch.setattr(doc_index, "FORM_CACHE_SIZE", 3)
    for cached in (roles.norm, events._low, events._LEMMAS):
        cached.forms.clear()
    doc = spacy.blank("it")("Dell’Agenzia SPAZIALE e l‘ente, dell’agenzia di Roma e Dell’Agenzia")
    for token in doc:
        if token.is_alpha:
            token.lemma_ = token.text.upper()
    for _ in range(2):
        for token in doc:
            assert roles.norm(token) == token.lower_.replace("\u2019", "'")
            assert events._low(token) == events._norm(token.text)
            assert events._lemma(token) == events._norm(token.lemma_ or token.text)
            assert len(roles.norm.forms) <= 3 and len(events._low.forms) <= 3
            assert len(events._LEMMAS.forms) <= 3


def test_verb_lemmas_are_kept_by_form_lemma_and_pos_and_stay_bounded(monkeypatch):
    from pipeline.nlp.relations import doc_index, events

    monkeypatch.setattr(doc_index, "FORM_CACHE_SIZE", 3)
    events._VERB_LEMMAS.clear()
    doc = Doc(spacy.blank("it").vocab,
              words=["organizzata", "organizzata", "ospitano", "visita", "ospitano", "il"],
              pos=["VERB", "ADJ", "VERB", "NOUN", "NOUN", "DET"],
              lemmas=["organizzare", "organizzato", "ospitare", "visita", "", "il"])
    for _ in range(2):
        for token in doc:
            assert events._verb_lemma(token) == events._find_verb_lemma(token)
            assert len(events._VERB_LEMMAS) <= 3
    # the part of speech is part of the key: a noun is not matched against the verb stems
    assert events._verb_lemma(doc[4]) == "ospitano" != events._verb_lemma(doc[2])


def test_tokens_with_is_the_filter_over_the_doc():
    from pipeline.nlp.relations.doc_index import indexed, tokens_with

    doc = spacy.blank("it")("La sede di Roma e la SEDE di Milano, con sede a Torino e Roma . "
                            "Dell’Agenzia e dell'agenzia")  # two spellings, one form
    low = roles.norm
    assert len({t.lower for t in doc if low(t) == "dell'"}) == 2
    for words in ({"sede"}, {"roma", "sede", "assente"}, {"di"}, set(), {"dell'", "sede"},
                  {t.lower_ for t in doc} | {f"x{k}" for k in range(50)}):  # more words than forms
        expected = [t.i for t in doc if low(t) in words]
        assert [t.i for t in tokens_with(doc, low, words)] == expected  # outside a block
        with indexed(doc):
            assert [t.i for t in tokens_with(doc, low, words)] == expected
            assert [t.i for t in tokens_with(doc, low, words)] == expected  # from the index


def test_event_mentions_can_start_only_where_the_entry_starts_say():
    """events._candidates walks only _entry_starts: every token at which _match_entry finds
    an entry is among them."""
    from pipeline.nlp.relations import events
    from pipeline.nlp.relations.doc_index import indexed

    lex = events.load_lexicon()
    multi_first = next(form for form, options in lex.multi.items() if options)
    single = next(iter(lex.single_forms))
    lemma_only = next(iter(lex.classes))
    words = ["Il", multi_first, "di", single.capitalize(), "e", "la", "parola", "x", "ieri"]
    multi_rest = next(iter(lex.multi[multi_first]))[0][1:]
    words[2:2] = [next(iter(options)) for options in multi_rest]
    lemmas = [w.lower() for w in words]
    lemmas[words.index("parola")] = lemma_only
    doc = Doc(spacy.blank("it").vocab, words=words, pos=["NOUN"] * len(words), lemmas=lemmas)
    with indexed(doc):
        starts = {t.i for t in events._entry_starts(doc, lex)}
        matched = {i for i in range(len(doc)) if events._match_entry(doc, i, lex) is not None}
    assert matched and matched <= starts
    assert {1, words.index("parola")} <= matched
