"""Which language a verbatim is written in, offline: a stop-word vote, and the stop words of
the themes.

Every language has a list of its most frequent function words (articles, pronouns,
prepositions, auxiliaries) and of a few telling words ("nobody", "thanks", "péssimo",
"recomendo"). A text's words vote for each language whose list holds them; a word
shared by several languages gives each of them an equal part of one vote, and the letters a
language alone uses (``ã``/``õ`` in Portuguese, ``ñ`` in Spanish, ``ß`` in German …) add half a
vote. The language with the most votes wins when it has at least one vote and strictly more
than the runner-up; otherwise the text is undecided and gets the ``default`` language (a
one-word answer such as "Excellent." has no function word at all).

Supported: English (en), Portuguese (pt), Spanish (es), French (fr), German (de), Dutch (nl)
and Italian (it).

Examples
--------
>>> detect_language("The agent was friendly and the problem is fixed now.")
'en'
>>> detect_language("O produto não chegou no prazo e ninguém me respondeu.")
'pt'
>>> detect_language("Excellent.") is None
True
>>> detect_language("Excellent.", default="en")
'en'
>>> "bill" in THEME_STOP_WORDS, "não" in THEME_STOP_WORDS, "de" in THEME_STOP_WORDS
(False, False, True)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache


def _listed(text: str) -> frozenset[str]:
    """The words of a whitespace-separated list."""
    return frozenset(text.split())


#: The function words of each language (lower case, with and without accents where people
#: often type them without).
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _listed(
        """a about above after again against all also am an and any are aren't as at be
        because been before being below between both but by can can't cannot could couldn't
        did didn't do does doesn't doing don't down during each even ever every few for from
        further had hadn't has hasn't have haven't having he her here hers herself him himself
        his how i i'd i'll i'm i've if in into is isn't it it's its itself just let me more
        most much my myself no nor not now of off on once only or other our ours ourselves out
        over own same she should shouldn't so some such than that that's the their theirs them
        themselves then there there's these they they're this those through to too under until
        up very was wasn't we we're were weren't what what's when where which while who whom
        why will with won't would wouldn't you you're your yours yourself yourselves
        """
    ),
    "pt": _listed(
        """a à ao aos aquela aquele aqueles as às até ate com como da das de dela dele deles
        depois do dos e é ela elas ele eles em entre era eram essa esse esta está estão estas
        estava estavam este estou eu foi fomos for foram fui há ha isso isto já ja lhe lhes
        mais mas me mesma mesmo meu meus minha minhas muito muita muitos muitas na nas não nao
        nem no nos nós num numa o os ou para pela pelas pelo pelos pra por porque qual quando
        que quem se sem ser seu seus sido só sua suas são sao também tambem te tem têm tenho
        ter teu tinha tudo um uma umas uns você voce vocês voces vou vai nosso nossa pois
        então entao ainda apenas seja fosse sobre tão tao todo toda todos todas antes
        sem depois aqui agora lá la onde nada
        """
    ),
    "es": _listed(
        """a al algo algunas algunos ante antes como con contra cual cuando de del desde donde
        durante e el él ella ellas ellos en entre era es esa ese eso esta está están estaba
        este esto estos fue fueron ha había han hasta hay la las le les lo los más me mi mis
        mucho muy nada ni no nos nosotros o os otra otro para pero poco por porque qué que
        quien se sea ser si sí sin sobre son su sus también tanto te tengo tiene todo todos
        tu tus un una uno unos usted y ya yo
        """
    ),
    "fr": _listed(
        """à au aux avec avait avez c'est ce cela ces cet cette comme dans de des du elle elles
        en est et été êtes étais était eu il ils j'ai je la le les leur leurs lui ma mais me
        même mes moi mon n'est ne nos notre nous on ont ou où par pas plus pour qu'il que qui
        sa sans se ses si son sont sur ta te tes toi ton tout très tu un une vos votre vous y
        """
    ),
    "de": _listed(
        """aber alle als also am an auch auf aus bei bin bis bist das dass dem den der des die
        dies diese dieser du durch ein eine einem einen einer es für gegen habe haben hat
        hatte ich ihr im in ist ja kann kein keine mich mir mit nach nicht noch nur oder sehr
        sein sich sie sind so über um und uns unser vom von vor war waren was weil wenn wie
        wir wird wurde zu zum zur
        """
    ),
    "nl": _listed(
        """aan al als bij dan dat de deze die dit door een en er geen had heb hebben heeft het
        hij hoe hun ik in is je kan maar me met mij mijn na naar niet nog nu of om ons ook op
        over te tot u uit van veel voor was waren wat we wel werd wij worden zal ze zich zij
        zijn zo
        """
    ),
    "it": _listed(
        """a ad al alla alle anche che chi ci come con cui da dal dalla degli dei del della
        delle di dopo e è ed era gli ha hanno ho i il in io la le lei li lo loro lui ma mi
        mia mio molto ne nei nel nella noi non nostro o per perché più poi quando quello
        questa questo se sei si sia siamo sono su sua suo tra tu tutto un una uno vi voi
        """
    ),
}

#: Frequent words that are not function words but betray a language (they vote, but stay
#: in the themes' vocabulary): short answers often have no function word at all.
TELLING_WORDS: dict[str, frozenset[str]] = {
    "en": _listed(
        """nobody nothing anyone anything everyone everything someone something never always
        still again back got get also like really already thanks thank great good"""
    ),
    "pt": _listed(
        """nunca ninguém ninguem sempre obrigado obrigada bom boa ótimo otimo ótima otima
        péssimo pessimo péssima pessima recomendo chegou recebi q pq vc tb mto so"""
    ),
    "es": _listed("""nunca nadie siempre gracias bueno buena pésimo recomiendo"""),
    "fr": _listed("""jamais personne toujours merci bien bon bonne très"""),
    "de": _listed("""nie niemand immer danke gut schlecht"""),
    "nl": _listed("""nooit niemand altijd bedankt goed slecht"""),
    "it": _listed("""mai nessuno sempre grazie buono buona ottimo pessimo"""),
}

#: Letters that only one of the languages uses (half a vote each).
LETTERS: dict[str, str] = {"pt": "ãõ", "es": "ñ¿¡", "de": "ß", "fr": "œ", "nl": "ĳ"}

LANGUAGES: tuple[str, ...] = tuple(STOP_WORDS)

#: Words that carry meaning in a verbatim even though they are function words: negations and
#: time words ("not fixed", "never arrived", "still waiting", "chegou antes do prazo").
KEEP_WORDS = _listed(
    """not nor never again still before after não nao nem ainda antes depois sem"""
)

#: Stop words of the themes: the English and Portuguese function words (less `KEEP_WORDS`)
#: and the fillers of answers in both languages.
THEME_STOP_WORDS: frozenset[str] = (
    STOP_WORDS["en"]
    | STOP_WORDS["pt"]
    | _listed("""ll ve re don didn isn wasn im pq vc get got go went us one""")
) - KEEP_WORDS

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def fold(word: str) -> str:
    """``word`` without its accents (``não`` -> ``nao``), so both spellings count as one.

    Examples
    --------
    >>> fold("não"), fold("rápida"), fold("façade")
    ('nao', 'rapida', 'facade')
    """
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


#: `THEME_STOP_WORDS` without accents (theme terms are compared without accents).
FOLDED_THEME_STOP_WORDS: frozenset[str] = frozenset(fold(w) for w in THEME_STOP_WORDS) - frozenset(
    fold(w) for w in KEEP_WORDS
)


def words(text: str) -> list[str]:
    """The lower-case words of ``text`` (letters, with an inner apostrophe: ``don't``)."""
    return WORD.findall(text.lower())


@lru_cache(maxsize=1)
def _weights() -> dict[str, dict[str, float]]:
    """word -> {language: share of one vote}."""
    owners: dict[str, list[str]] = {}
    for language in LANGUAGES:
        for word in STOP_WORDS[language] | TELLING_WORDS[language]:
            owners.setdefault(word, []).append(language)
    return {w: {lang: 1.0 / len(langs) for lang in langs} for w, langs in owners.items()}


def language_votes(text: str) -> dict[str, float]:
    """The votes of ``text``'s words and letters for each language (see the module notes)."""
    weights = _weights()
    votes = dict.fromkeys(LANGUAGES, 0.0)
    for word in words(text):
        for language, share in weights.get(word, {}).items():
            votes[language] += share
    lowered = text.lower()
    for language, letters in LETTERS.items():
        if any(letter in lowered for letter in letters):
            votes[language] += 0.5
    return votes


def detect_language(text: str, default: str | None = None) -> str | None:
    """The language of ``text`` (a code of `LANGUAGES`), or ``default`` when undecided."""
    ranked = sorted(language_votes(text).items(), key=lambda item: -item[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    if top >= 1.0 and top > second:
        return best
    return default


def detect_languages(texts: Iterable[str], default: str | None = None) -> list[str | None]:
    """`detect_language` of each text."""
    return [detect_language(text, default) for text in texts]


def dominant_language(languages: Iterable[str | None], fallback: str = "en") -> str:
    """The most frequent decided language (ties: alphabetical), or ``fallback`` if none.

    Examples
    --------
    >>> dominant_language(["pt", None, "pt", "en"]), dominant_language([None])
    ('pt', 'en')
    """
    counts: dict[str, int] = {}
    for language in languages:
        if language is not None:
            counts[language] = counts.get(language, 0) + 1
    if not counts:
        return fallback
    return min(counts, key=lambda lang: (-counts[lang], lang))
