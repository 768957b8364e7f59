"""Themes of verbatims: TF-IDF and non-negative matrix factorisation (NMF), on sentences.

The method, step by step:

1. **Terms.** Each verbatim is cut into sentences; a sentence's words (letters only, lower
   case) less the English and Portuguese stop words (`journeylens.voc.language`; negations
   such as "not", "never", "não" are kept) give its terms: the words and the pairs of adjacent
   words (bigrams, never across a sentence end). TF-IDF with sublinear term frequency over
   every verbatim gives the vocabulary (terms in at least 2 verbatims and at most half of them)
   and the weights.
2. **Themes.** NMF (``nndsvda`` start, a fixed seed: deterministic) factorises the TF-IDF
   matrix of the *distinct sentences*: a verbatim often raises several points, and a stock
   phrase repeated a thousand times ("Okay, nothing special.") says no more about which themes
   exist than once. At most 10,000 distinct sentences (a seeded sample) are used.
3. **Number of themes**, when not given: NMF is fitted for k = 4, 6, … up to 24 (fewer with
   few sentences) and each k scored by the share of the verbatims' TF-IDF that the themes
   explain, ``1 - ||X - WH||² / ||X||²``. The chosen k is the knee of that curve (Kneedle,
   Satopää et al. 2011: the k whose explained share, scaled to [0, 1] over the range, lies
   furthest above the straight line from the first to the last k): past it, more themes
   split existing ones rather than explain more.
4. **Assignment.** Each verbatim's TF-IDF vector is expressed in the themes (``W``); its theme
   is the largest, its ``weight`` that theme's share of the verbatim's loadings. A verbatim
   with no known term, or that the themes explain poorly (cosine between the verbatim and its
   reconstruction below `MIN_FIT`), gets no theme.
5. **Labels**: a theme's top terms, a bigram standing in for its words when it weighs at least
   `BIGRAM_SHARE` of them ("moving form / error / submit"). **Quotes**: the distinct
   verbatims with the largest loading on the theme (the most typical ones).

Examples
--------
>>> sentences("Great service. The form kept giving an error!  Would not recommend")
['Great service.', 'The form kept giving an error!', 'Would not recommend']
>>> terms("The online moving form kept giving me an error.")
['online', 'moving', 'form', 'kept', 'giving', 'error', 'online moving', 'moving form', \
'form kept', 'kept giving', 'giving error']
>>> label_terms([("form", 1.0), ("error", 0.8), ("moving form", 0.6), ("moving", 0.3)])
'moving form / error'
>>> knee([4, 6, 8, 10], [0.1, 0.5, 0.6, 0.65])
6
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from journeylens.voc.language import FOLDED_THEME_STOP_WORDS, KEEP_WORDS, fold, words

Floats = npt.NDArray[np.float64]

#: Candidate numbers of themes when none is given.
K_RANGE = range(4, 25, 2)
#: Sentences used to fit the themes at most (a seeded sample beyond).
MAX_SENTENCES = 10_000
#: Sentences and verbatims used to choose the number of themes at most (seeded samples).
SELECT_SENTENCES = 3_000
MAX_SCORED = 5_000
#: A verbatim whose reconstruction has a cosine below this with it gets no theme.
MIN_FIT = 0.1
#: A bigram replaces its words in a label when it weighs this share of the heavier word.
BIGRAM_SHARE = 0.6
#: Terms weighing less than this share of a theme's top term stay out of its label.
LABEL_SHARE = 0.3

#: Kept words that make no label on their own (with and without accents).
NEGATIONS = KEEP_WORDS | {fold(w) for w in KEEP_WORDS}

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\s*\n+\s*")


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (cut after ``. ! ? ;`` and at line breaks)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def content_words(sentence: str) -> list[str]:
    """The content words of a sentence, without accents (see the module notes)."""
    folded = (fold(w) for w in words(sentence))
    return [w for w in folded if len(w) > 1 and w not in FOLDED_THEME_STOP_WORDS]


def terms(text: str) -> list[str]:
    """The terms of ``text``: its content words, then the bigrams within each sentence."""
    unigrams: list[str] = []
    bigrams: list[str] = []
    for sentence in sentences(text):
        kept = content_words(sentence)
        unigrams += kept
        bigrams += [f"{a} {b}" for a, b in pairwise(kept)]
    return unigrams + bigrams


def label_terms(ranked: Sequence[tuple[str, float]], size: int = 3) -> str:
    """A readable label from a theme's terms ranked by weight (see the module notes)."""
    chosen: list[str] = []
    floor = LABEL_SHARE * ranked[0][1] if ranked else 0.0
    for term, value in ranked:
        if value < floor:
            break
        if " " not in term:
            better = [
                b for b, w in ranked if " " in b and term in b.split() and w >= BIGRAM_SHARE * value
            ]
            term = better[0] if better else term
        if term in NEGATIONS:  # "not" or "não" alone says nothing
            continue
        replaced = [c for c in chosen if " " not in c and c in term.split()]
        covered = {w for c in chosen if c not in replaced for w in c.split()}
        if covered & set(term.split()) or term in chosen:
            continue
        chosen = [c for c in chosen if c not in replaced] + [term]
        if len(chosen) == size:
            break
    return " / ".join(chosen)


def knee(ks: Sequence[int], explained: Sequence[float]) -> int:
    """The knee of an increasing curve (Kneedle): the k furthest above the chord."""
    if len(ks) < 3:
        return int(ks[int(np.argmax(explained))])
    x = (np.asarray(ks, dtype=np.float64) - ks[0]) / (ks[-1] - ks[0])
    y = np.asarray(explained, dtype=np.float64)
    span = y[-1] - y[0]
    if span <= 0:
        return int(ks[int(np.argmax(y))])
    return int(ks[int(np.argmax((y - y[0]) / span - x))])


@dataclass
class ThemeFit:
    """Themes found in a list of verbatims.

    ``theme``: per verbatim, its theme (0-based, by volume: 0 is the largest) or -1;
    ``weight``: the theme's share of the verbatim's loadings; ``loading``: the verbatim's
    loading on its theme; ``labels``/``top_terms``: per theme; ``explained``: per candidate k
    tried, the share of the verbatims' TF-IDF the themes explain (the choice of k).
    """

    theme: npt.NDArray[np.int64]
    weight: Floats
    loading: Floats
    labels: list[str]
    top_terms: list[list[str]]
    explained: dict[int, float]
    sentences: int

    @property
    def k(self) -> int:
        return len(self.labels)


def _vectoriser(texts: Sequence[str]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(
        analyzer=terms,
        min_df=2 if len(texts) >= 20 else 1,
        max_df=0.5 if len(texts) >= 20 else 1.0,
        sublinear_tf=True,
        max_features=5_000,
        dtype=np.float64,
    )
    return vectoriser.fit(texts)


def _nmf(k: int, seed: int, tol: float = 1e-4) -> Any:
    from sklearn.decomposition import NMF

    return NMF(k, init="nndsvda", random_state=seed, max_iter=400, tol=tol)


def _row_dots(x: Any, w: Floats, h: Floats) -> Floats:
    """Per row i, the dot product of the sparse row x_i with its reconstruction w_i·H, without
    building the dense reconstruction."""
    coo = x.tocoo()
    dots = np.zeros(x.shape[0])
    step = 1_000_000
    for start in range(0, coo.nnz, step):
        rows, cols = coo.row[start : start + step], coo.col[start : start + step]
        values = coo.data[start : start + step] * np.einsum("ij,ji->i", w[rows], h[:, cols])
        np.add.at(dots, rows, values)
    return dots


def _row_norms(w: Floats, h: Floats) -> Floats:
    """The norm of each row of the reconstruction W·H."""
    squared = np.einsum("ij,jk,ik->i", w, h @ h.T, w)
    return np.asarray(np.sqrt(np.maximum(squared, 0.0)), dtype=np.float64)


def _explained(x: Any, w: Floats, h: Floats) -> float:
    """1 - ||X - WH||² / ||X||² for a sparse X."""
    total = float(x.multiply(x).sum())
    if total == 0:
        return 0.0
    residual = total - 2 * float(_row_dots(x, w, h).sum()) + float(np.sum(_row_norms(w, h) ** 2))
    return 1.0 - residual / total


def spellings(texts: Sequence[str]) -> dict[str, str]:
    """The most frequent spelling (lower case, with accents) of each accent-free word.

    Examples
    --------
    >>> spellings(["Não chegou", "nao chegou", "não recebi"])["nao"]
    'não'
    """
    counts: Counter[tuple[str, str]] = Counter()
    for text in texts:
        counts.update((fold(w), w) for w in words(text))
    best: dict[str, tuple[int, str]] = {}
    for (folded, word), n in counts.items():
        if folded not in best or (n, word) > best[folded]:
            best[folded] = (n, word)
    return {folded: word for folded, (_, word) in best.items()}


def _sample(rng: np.random.Generator, rows: int, size: int) -> npt.NDArray[np.int64]:
    if rows <= size:
        return np.arange(rows)
    return np.sort(rng.choice(rows, size, replace=False))


def choose_k(s: Any, x: Any, seed: int, say: Callable[[str], None]) -> tuple[int, dict[int, float]]:
    """The number of themes (the knee of the explained share, see the module notes) and the
    explained share of each candidate."""
    rng = np.random.default_rng(seed)
    s = s[_sample(rng, s.shape[0], SELECT_SENTENCES)]
    x = x[_sample(rng, x.shape[0], MAX_SCORED)]
    limit = max(1, min(s.shape[0] // 3, s.shape[1]))
    candidates = [k for k in K_RANGE if k <= limit]
    if len(candidates) < 3:
        return (candidates[-1] if candidates else limit), {}
    explained: dict[int, float] = {}
    for k in candidates:
        say(f"trying {k} themes")
        model = _nmf(k, seed, tol=1e-3).fit(s)
        explained[k] = _explained(x, model.transform(x), model.components_)
    return knee(candidates, [explained[k] for k in candidates]), explained


def fit_themes(
    texts: Sequence[str],
    n: int | None = None,
    *,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> ThemeFit:
    """Find themes in ``texts`` (see the module notes); ``n`` fixes their number."""
    say = progress or (lambda _s: None)
    vectoriser = _vectoriser(texts)
    x = vectoriser.transform(texts)
    distinct = sorted(
        {" ".join(s.lower().split()) for t in texts for s in sentences(t) if content_words(s)}
    )
    picked = _sample(np.random.default_rng(seed), len(distinct), MAX_SENTENCES)
    chosen = [distinct[i] for i in picked.tolist()]
    s = vectoriser.transform(chosen)
    s = s[np.asarray(s.sum(axis=1)).ravel() > 0]
    if s.shape[0] == 0:
        raise ValueError(
            f"the {len(texts)} verbatims share no words (each term must occur in 2 of them): "
            "there are too few verbatims to find themes in"
        )
    explained: dict[int, float] = {}
    if n is None:
        k, explained = choose_k(s, x, seed, say)
    else:
        k = max(1, min(n, s.shape[0], s.shape[1]))
    say(f"fitting {k} themes on {s.shape[0]:,} distinct sentences")
    model = _nmf(k, seed).fit(s)
    h = np.asarray(model.components_, dtype=np.float64)
    w = np.asarray(model.transform(x), dtype=np.float64)
    vocabulary = [str(t) for t in vectoriser.get_feature_names_out()]
    display = spellings(texts)
    shown = [" ".join(display.get(word, word) for word in t.split()) for t in vocabulary]
    return _assign(x, w, h, shown, explained, len(distinct))


def _assign(
    x: Any,
    w: Floats,
    h: Floats,
    vocabulary: Sequence[str],
    explained: dict[int, float],
    distinct: int,
) -> ThemeFit:
    fit = _row_dots(x, w, h) / np.maximum(_row_norms(w, h), 1e-12)
    totals = w.sum(axis=1)
    raw = np.where((totals > 0) & (fit >= MIN_FIT), w.argmax(axis=1), -1)
    volume = np.bincount(raw[raw >= 0], minlength=h.shape[0])
    order = np.argsort(-volume, kind="stable")  # theme ids by volume, largest first
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    theme = np.where(raw >= 0, rank[np.maximum(raw, 0)], -1).astype(np.int64)
    rows = np.arange(x.shape[0])
    loading = np.where(raw >= 0, w[rows, np.maximum(raw, 0)], 0.0)
    weight = np.where(raw >= 0, loading / np.maximum(totals, 1e-12), 0.0)
    top_terms: list[list[str]] = []
    labels: list[str] = []
    for original in order.tolist():
        ranked = [
            (vocabulary[i], float(h[original, i]))
            for i in np.argsort(-h[original])[:12].tolist()
            if h[original, i] > 0
        ]
        top_terms.append([t for t, _ in ranked[:10]])
        labels.append(label_terms(ranked) or f"theme {original + 1}")
    return ThemeFit(
        theme=theme,
        weight=np.round(weight, 4).astype(np.float64),
        loading=loading,
        labels=labels,
        top_terms=top_terms,
        explained=explained,
        sentences=distinct,
    )


def typical(
    texts: Sequence[str], theme: npt.NDArray[np.int64], loading: Floats, k: int, n: int
) -> list[list[str]]:
    """The ``n`` most typical distinct verbatims of each of the ``k`` themes (largest loading)."""
    chosen: list[list[str]] = [[] for _ in range(k)]
    for i in np.lexsort((np.arange(len(texts)), -loading)).tolist():
        t = int(theme[i])
        if t >= 0 and len(chosen[t]) < n and texts[i] not in chosen[t]:
            chosen[t].append(texts[i])
    return chosen
