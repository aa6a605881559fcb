"""The SERVQUAL instrument: 22 perception items, their expectation mirrors, outcomes.

Five service-quality dimensions (Parasuraman, Zeithaml & Berry's structure) are
measured by perception items; every perception item has an expectation twin
(``e_`` prefix) that asks what an *excellent* provider does; satisfaction and
loyalty are the outcomes. Every item is answered on a 7-point agreement scale
(1 = strongly disagree, 7 = strongly agree) and is worded about a generic
service provider in English (``en``), Dutch (``nl``), French (``fr``) and
Norwegian (``no``).

>>> from sqlib import instrument
>>> instrument.DIMENSIONS
('tangibles', 'reliability', 'responsiveness', 'assurance', 'empathy')
>>> len([i for i in instrument.ITEMS if i.kind == "perception"])
22
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .codebook import Codebook, Construct
from sqlib.core.errors import CodebookError

LANGUAGES = ("en", "nl", "fr", "no")
DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
OUTCOMES = ("satisfaction", "loyalty")
SCALE_MIN, SCALE_MAX = 1, 7
EXPECTATION_PREFIX = "e_"

#: How a perception statement opens ("This provider ...") and how its
#: expectation twin opens ("An excellent provider ..."), per language.
_SUBJECTS = {
    "en": ("This service provider", "An excellent service provider"),
    "nl": ("Deze dienstverlener", "Een uitstekende dienstverlener"),
    "fr": ("Ce prestataire", "Un excellent prestataire"),
    "no": ("Denne tjenesteleverandøren", "En fremragende tjenesteleverandør"),
}

# Dimension items: the predicate that follows the subject, (en, nl, fr, no).
_DIMENSION_PREDICATES: dict[str, tuple[str, str, str, str]] = {
    "tan1": ("has up-to-date equipment.", "heeft moderne apparatuur.",
             "dispose d'équipements modernes.", "har moderne utstyr."),
    "tan2": ("has facilities that look appealing.", "heeft voorzieningen die er aantrekkelijk uitzien.",
             "a des locaux agréables à voir.", "har lokaler som ser tiltalende ut."),
    "tan3": ("has staff who look neat and professional.",
             "heeft medewerkers die er verzorgd en professioneel uitzien.",
             "a un personnel à l'allure soignée et professionnelle.",
             "har ansatte som ser ryddige og profesjonelle ut."),
    "tan4": ("provides printed and online material that is clear and attractive.",
             "biedt duidelijk en aantrekkelijk gedrukt en online materiaal.",
             "fournit des documents imprimés et en ligne clairs et attrayants.",
             "tilbyr trykt og digitalt materiell som er klart og tiltalende."),
    "rel1": ("does what it promises within the time it promised.",
             "doet wat hij belooft binnen de beloofde tijd.",
             "fait ce qu'il promet dans les délais annoncés.",
             "gjør det den lover, innen den lovte tiden."),
    "rel2": ("shows a sincere interest in solving customers' problems.",
             "toont oprechte interesse in het oplossen van problemen van klanten.",
             "montre un intérêt sincère pour résoudre les problèmes des clients.",
             "viser oppriktig interesse for å løse kundenes problemer."),
    "rel3": ("performs the service right the first time.",
             "voert de dienst de eerste keer meteen goed uit.",
             "réalise le service correctement dès la première fois.",
             "utfører tjenesten riktig første gang."),
    "rel4": ("delivers its services at the moment it said it would.",
             "levert de diensten op het toegezegde moment.",
             "fournit ses services au moment annoncé.",
             "leverer tjenestene på det tidspunktet den har sagt."),
    "rel5": ("keeps accurate records without errors.",
             "houdt nauwkeurige gegevens zonder fouten bij.",
             "tient des dossiers exacts et sans erreur.",
             "fører nøyaktige registre uten feil."),
    "res1": ("tells customers exactly when the service will be carried out.",
             "vertelt klanten precies wanneer de dienst wordt uitgevoerd.",
             "indique aux clients exactement quand le service sera réalisé.",
             "forteller kundene nøyaktig når tjenesten blir utført."),
    "res2": ("serves customers promptly.", "helpt klanten snel.",
             "sert les clients rapidement.", "gir kundene rask service."),
    "res3": ("has employees who are always willing to help.",
             "heeft medewerkers die altijd bereid zijn te helpen.",
             "a des employés toujours prêts à aider.",
             "har ansatte som alltid er villige til å hjelpe."),
    "res4": ("is never too busy to respond to customers' requests.",
             "heeft het nooit te druk om op vragen van klanten te reageren.",
             "n'est jamais trop occupé pour répondre aux demandes des clients.",
             "har aldri for travelt til å svare på kundenes henvendelser."),
    "ass1": ("has employees whose behaviour gives customers confidence.",
             "heeft medewerkers wier gedrag klanten vertrouwen geeft.",
             "a des employés dont le comportement inspire confiance aux clients.",
             "har ansatte som gir kundene tillit gjennom sin oppførsel."),
    "ass2": ("makes customers feel safe in their dealings with it.",
             "geeft klanten een veilig gevoel bij hun transacties.",
             "donne aux clients un sentiment de sécurité dans leurs transactions.",
             "får kundene til å føle seg trygge i sine transaksjoner."),
    "ass3": ("has employees who are courteous at all times.",
             "heeft medewerkers die altijd beleefd zijn.",
             "a des employés toujours courtois.",
             "har ansatte som alltid er høflige."),
    "ass4": ("has employees with the knowledge to answer customers' questions.",
             "heeft medewerkers met de kennis om vragen van klanten te beantwoorden.",
             "a des employés qui savent répondre aux questions des clients.",
             "har ansatte med kunnskap til å svare på kundenes spørsmål."),
    "emp1": ("gives customers individual attention.",
             "geeft klanten persoonlijke aandacht.",
             "accorde une attention individuelle aux clients.",
             "gir kundene individuell oppmerksomhet."),
    "emp2": ("has opening hours that suit all its customers.",
             "heeft openingstijden die alle klanten goed uitkomen.",
             "a des horaires d'ouverture qui conviennent à tous ses clients.",
             "har åpningstider som passer alle kundene."),
    "emp3": ("has employees who look after customers personally.",
             "heeft medewerkers die klanten persoonlijk begeleiden.",
             "a des employés qui s'occupent personnellement des clients.",
             "har ansatte som følger opp kundene personlig."),
    "emp4": ("has its customers' best interests at heart.",
             "heeft het belang van de klant echt voor ogen.",
             "a à cœur l'intérêt de ses clients.",
             "har kundenes beste for øye."),
    "emp5": ("understands the specific needs of its customers.",
             "begrijpt de specifieke behoeften van zijn klanten.",
             "comprend les besoins particuliers de ses clients.",
             "forstår de spesifikke behovene til kundene sine."),
}

# Outcome items: full statements, (en, nl, fr, no).
_OUTCOME_STATEMENTS: dict[str, tuple[str, str, str, str]] = {
    "sat1": ("Overall, I am satisfied with this service provider.",
             "Over het geheel genomen ben ik tevreden over deze dienstverlener.",
             "Dans l'ensemble, je suis satisfait de ce prestataire.",
             "Alt i alt er jeg fornøyd med denne tjenesteleverandøren."),
    "sat2": ("This service provider meets my needs well.",
             "Deze dienstverlener voldoet goed aan mijn behoeften.",
             "Ce prestataire répond bien à mes besoins.",
             "Denne tjenesteleverandøren dekker behovene mine godt."),
    "sat3": ("Choosing this service provider was a good decision.",
             "Kiezen voor deze dienstverlener was een goede beslissing.",
             "Choisir ce prestataire a été une bonne décision.",
             "Det var et godt valg å bruke denne tjenesteleverandøren."),
    "loy1": ("I would recommend this service provider to others.",
             "Ik zou deze dienstverlener aan anderen aanbevelen.",
             "Je recommanderais ce prestataire à d'autres personnes.",
             "Jeg vil anbefale denne tjenesteleverandøren til andre."),
    "loy2": ("I intend to keep using this service provider.",
             "Ik ben van plan deze dienstverlener te blijven gebruiken.",
             "J'ai l'intention de continuer à faire appel à ce prestataire.",
             "Jeg har tenkt å fortsette å bruke denne tjenesteleverandøren."),
    "loy3": ("Next time, this service provider will be my first choice.",
             "De volgende keer is deze dienstverlener mijn eerste keuze.",
             "La prochaine fois, ce prestataire sera mon premier choix.",
             "Neste gang blir denne tjenesteleverandøren mitt førstevalg."),
    "loy4": ("I say positive things about this service provider to other people.",
             "Ik vertel anderen positieve dingen over deze dienstverlener.",
             "Je dis du bien de ce prestataire autour de moi.",
             "Jeg snakker positivt om denne tjenesteleverandøren til andre."),
}

_PREFIXES = {"tan": "tangibles", "rel": "reliability", "res": "responsiveness", "ass": "assurance",
             "emp": "empathy", "sat": "satisfaction", "loy": "loyalty"}


@dataclass(frozen=True)
class Item:
    """One questionnaire item.

    ``kind`` is ``"perception"``, ``"expectation"`` or ``"outcome"``;
    ``construct`` is the dimension or outcome it measures (an expectation item
    belongs to the dimension of the perception item it mirrors, named in
    ``mirrors``); ``wording`` maps a language code to the statement.
    """

    code: str
    construct: str
    kind: str
    wording: dict[str, str] = field(compare=False)
    scale_min: int = SCALE_MIN
    scale_max: int = SCALE_MAX
    mirrors: str | None = None

    def text(self, language: str = "en") -> str:
        """The wording in ``language`` (one of :data:`LANGUAGES`)."""
        return self.wording[check_language(language)]


def check_language(language: str) -> str:
    """Return ``language`` if the instrument has wordings in it, else raise a clear error."""
    if language not in LANGUAGES:
        raise CodebookError(
            f"The SERVQUAL instrument has no wordings in language {language!r}; "
            f"choose one of {', '.join(LANGUAGES)} (en = English, nl = Dutch, fr = French, no = Norwegian)."
        )
    return language


def _build_items() -> tuple[Item, ...]:
    perceptions, expectations, outcomes = [], [], []
    for code, predicates in _DIMENSION_PREDICATES.items():
        construct = _PREFIXES[code[:3]]
        p_text = {lang: f"{_SUBJECTS[lang][0]} {pred}" for lang, pred in zip(LANGUAGES, predicates)}
        e_text = {lang: f"{_SUBJECTS[lang][1]} {pred}" for lang, pred in zip(LANGUAGES, predicates)}
        perceptions.append(Item(code, construct, "perception", p_text))
        expectations.append(Item(EXPECTATION_PREFIX + code, construct, "expectation", e_text, mirrors=code))
    for code, statements in _OUTCOME_STATEMENTS.items():
        outcomes.append(Item(code, _PREFIXES[code[:3]], "outcome", dict(zip(LANGUAGES, statements))))
    return tuple(perceptions + expectations + outcomes)


#: Every item: 22 perceptions, 22 expectations, 3 satisfaction and 4 loyalty items.
ITEMS: tuple[Item, ...] = _build_items()


def item(code: str) -> Item:
    """Look up one item by its column code (e.g. ``"res3"`` or ``"e_res3"``)."""
    for it in ITEMS:
        if it.code == code:
            return it
    raise KeyError(f"The SERVQUAL instrument has no item {code!r}; codes look like 'tan1', 'e_tan1', 'sat1'.")


def items_of(construct: str, kind: str = "perception") -> list[str]:
    """Codes of the items of one construct and kind, in questionnaire order."""
    return [it.code for it in ITEMS if it.construct == construct and it.kind == kind]


def items_table(language: str = "en") -> pd.DataFrame:
    """The questionnaire as a tidy table, one row per item.

    Parameters
    ----------
    language : {"en", "nl", "fr", "no"}
        Language of the ``wording`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (data column name), ``construct`` (dimension or
        outcome), ``kind`` (``perception``, ``expectation`` or ``outcome``),
        ``scale_min``, ``scale_max`` (answer scale) and ``wording``.

    Examples
    --------
    >>> from sqlib.survey.instrument import items_table
    >>> table = items_table("nl")
    >>> table.groupby("kind").size().to_dict()
    {'expectation': 22, 'outcome': 7, 'perception': 22}
    >>> table.loc[table.code == "rel3", "wording"].item()
    'Deze dienstverlener voert de dienst de eerste keer meteen goed uit.'
    """
    check_language(language)
    return pd.DataFrame(
        {
            "code": [it.code for it in ITEMS],
            "construct": [it.construct for it in ITEMS],
            "kind": [it.kind for it in ITEMS],
            "scale_min": [it.scale_min for it in ITEMS],
            "scale_max": [it.scale_max for it in ITEMS],
            "wording": [it.wording[language] for it in ITEMS],
        }
    )


def servqual_codebook(language: str = "en", expectations: bool = True) -> Codebook:
    """The codebook of the SERVQUAL instrument (and of the bundled sample data).

    Parameters
    ----------
    language : {"en", "nl", "fr", "no"}
        Language of the item labels.
    expectations : bool
        Include the ``perception -> expectation`` column mapping (``tan1 -> e_tan1``)
        used for gap scores, and the expectation items' labels.

    Returns
    -------
    Codebook
        Constructs tangibles, reliability, responsiveness, assurance, empathy
        (kind ``dimension``), satisfaction and loyalty (kind ``outcome``);
        columns ``respondent_id``, ``country`` and ``wave``; scale 1 to 7.

    Examples
    --------
    >>> from sqlib.survey.instrument import servqual_codebook
    >>> cb = servqual_codebook()
    >>> cb.items_of("responsiveness")
    ['res1', 'res2', 'res3', 'res4']
    >>> cb.expectations["res3"]
    'e_res3'
    """
    check_language(language)
    constructs = [Construct(name, items_of(name), "dimension") for name in DIMENSIONS]
    constructs += [Construct(name, items_of(name, "outcome"), "outcome") for name in OUTCOMES]
    mapping = {it.mirrors: it.code for it in ITEMS if it.kind == "expectation"} if expectations else {}
    labels = {it.code: it.wording[language] for it in ITEMS if expectations or it.kind != "expectation"}
    return Codebook(
        name="SERVQUAL service-quality survey",
        constructs=constructs,
        scale_min=SCALE_MIN,
        scale_max=SCALE_MAX,
        id_column="respondent_id",
        group_column="country",
        wave_column="wave",
        expectations=mapping,
        labels=labels,
    )
