"""Sentiment per verbatim: VADER for English, a model learnt from the scores for the rest.

Each verbatim's language is detected offline (`journeylens.voc.language`; an undecided text,
such as a one-word answer, takes the workspace's dominant language). English verbatims are
scored by VADER (Hutto & Gilbert 2014): its compound polarity is the sentiment in [-1, 1],
``>= 0.05`` positive, ``<= -0.05`` negative, neutral between (the thresholds of its authors).
Where verbatims come with scores, a text model learns the score's label from the words
(`journeylens.voc.text_model`, language-agnostic) and scores the other languages, so that
Portuguese reviews get a sentiment too; its held-out accuracy is reported beside the
majority-class baseline. Without a model, other languages fall back to VADER, which knows
English words only (their sentiment is then mostly 0, neutral).

The ``feedback_sentiment`` table has one row per feedback record with text: ``feedback_id``,
``language``, ``sentiment`` (float in [-1, 1]), ``label`` (negative, neutral, positive) and
``method`` (``vader`` or ``model``).

Examples
--------
>>> [s.label for s in score_texts(["I love it, brilliant service!", "Terrible, never again."])]
['positive', 'negative']
>>> score_texts(["Not bad at all"])[0].method
'vader'
>>> SentimentQuery(method="bert")
Traceback (most recent call last):
...
ValueError: method 'bert' is not one of auto, vader, model
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
import pyarrow as pa

from journeylens.palette import GREY, PALETTE
from journeylens.store.backends import Backend
from journeylens.voc.language import detect_languages, dominant_language
from journeylens.voc.text_model import LABELS, Evaluation, TextModel, score_label, train_text_model

if TYPE_CHECKING:
    import plotly.graph_objects as go

SENTIMENT_TABLE = "feedback_sentiment"
METHODS = ("auto", "vader", "model")

#: VADER's own thresholds on the compound score.
VADER_POSITIVE = 0.05
VADER_NEGATIVE = -0.05

SCHEMA = pa.schema(
    [
        pa.field("feedback_id", pa.string(), nullable=False),
        pa.field("language", pa.string()),
        pa.field("sentiment", pa.float64()),
        pa.field("label", pa.string()),
        pa.field("method", pa.string()),
    ]
)

#: Colours of the labels in figures.
LABEL_COLOURS = {"negative": PALETTE[3], "neutral": GREY, "positive": PALETTE[2]}


@dataclass(frozen=True)
class TextSentiment:
    """The sentiment of one text."""

    language: str
    sentiment: float
    label: str
    method: str


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_label(compound: float) -> str:
    """VADER's label of a compound score."""
    if compound >= VADER_POSITIVE:
        return "positive"
    return "negative" if compound <= VADER_NEGATIVE else "neutral"


def vader(text: str) -> float:
    """VADER's compound polarity of ``text`` (-1 … 1)."""
    return float(_vader().polarity_scores(text)["compound"])


def score_texts(
    texts: Sequence[str],
    *,
    model: TextModel | None = None,
    default_language: str = "en",
    method: str = "auto",
    languages: Sequence[str | None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[TextSentiment]:
    """The sentiment of each text (one-off texts, e.g. on the live path).

    Parameters
    ----------
    texts : sequence of str
        The verbatims.
    model : TextModel, optional
        A model learnt from scores (`ws.sentiment_model()` loads the workspace's); without
        one, every text is scored by VADER.
    default_language : str
        The language of texts the detector leaves undecided.
    method : {"auto", "vader", "model"}
        ``auto``: VADER for English, the model for other languages (VADER without a model);
        ``vader`` or ``model``: that method for every text.
    languages : sequence, optional
        Languages already detected (one per text; None entries take ``default_language``).
    progress : callable, optional
        Called with the number of texts scored after each batch.
    """
    if method not in METHODS:
        raise ValueError(f"method '{method}' is not one of {', '.join(METHODS)}")
    if method == "model" and model is None:
        raise ValueError("method 'model' needs a model: run ws.sentiment() on scored verbatims")
    detected = list(languages) if languages is not None else detect_languages(texts)
    language = [lang or default_language for lang in detected]
    use_model = [
        model is not None and (method == "model" or (method == "auto" and lang != "en"))
        for lang in language
    ]
    results: list[TextSentiment | None] = [None] * len(texts)
    chosen = [i for i, flag in enumerate(use_model) if flag]
    if chosen and model is not None:
        values, labels = model.predict([texts[i] for i in chosen])
        for i, value, label in zip(chosen, values.tolist(), labels, strict=True):
            results[i] = TextSentiment(language[i], round(value, 4), label, "model")
        if progress is not None:
            progress(len(chosen))
    pending = 0
    for i in (i for i, flag in enumerate(use_model) if not flag):
        compound = vader(texts[i])
        results[i] = TextSentiment(language[i], round(compound, 4), vader_label(compound), "vader")
        pending += 1
        if progress is not None and pending == 1000:
            progress(pending)
            pending = 0
    if progress is not None and pending:
        progress(pending)
    return [r for r in results if r is not None]


@dataclass(frozen=True)
class SentimentQuery:
    """How to score the workspace's verbatims.

    Parameters
    ----------
    method : {"auto", "vader", "model"}
        See `score_texts`.
    train : bool
        Learn a model from the verbatims that have a score (when there are ``min_texts``).
    test_size : float
        The held-out share for the model's accuracy.
    seed : int
        The seed of the held-out split and of the model.
    min_texts : int
        The fewest scored verbatims to learn a model from.
    """

    method: str = "auto"
    train: bool = True
    test_size: float = 0.2
    seed: int = 0
    min_texts: int = 100

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method '{self.method}' is not one of {', '.join(METHODS)}")
        if not 0.0 < self.test_size < 1.0:
            raise ValueError(f"test_size {self.test_size} must lie between 0 and 1, e.g. 0.2")
        if self.min_texts < 10:
            raise ValueError(f"min_texts {self.min_texts} is too few to learn from: use 10 or more")
        if self.method == "model" and not self.train:
            raise ValueError("method 'model' needs train=True (the model is learnt from scores)")


@dataclass
class Sentiment:
    """The sentiment of every verbatim (``table``, as stored in ``feedback_sentiment``).

    ``evaluation``: the model's held-out accuracy beside the majority baseline (None when no
    model was learnt: too few scored verbatims, or ``train=False``); ``vader_agreement``: the
    share of scored English verbatims whose VADER label equals their score's label (None when
    there are none), over ``vader_checked`` verbatims; ``agreement``: verbatims per score label
    (``score_label``) and sentiment label.
    """

    query: SentimentQuery
    table: pa.Table
    evaluation: Evaluation | None
    vader_agreement: float | None
    vader_checked: int
    agreement: pa.Table
    default_language: str
    model: TextModel | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per verbatim: feedback_id, language, sentiment, label, method."""
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def counts(self, by: Sequence[str] = ("language", "method", "label")) -> pa.Table:
        """Verbatims per combination of ``by`` (columns of the table), most frequent first."""
        keys = list(by)
        grouped = self.table.group_by(keys).aggregate([("feedback_id", "count")])
        grouped = grouped.rename_columns([*keys, "verbatims"])
        return grouped.sort_by([("verbatims", "descending"), *[(k, "ascending") for k in keys]])

    def summary(self) -> dict[str, Any]:
        """Counts per label, language and method and the model's figures, ready for JSON."""

        def per(column: str) -> dict[str, int]:
            rows = self.counts([column]).to_pylist()
            return {str(r[column]): int(r["verbatims"]) for r in rows}

        return {
            "verbatims": self.table.num_rows,
            "labels": per("label"),
            "languages": per("language"),
            "methods": per("method"),
            "default_language": self.default_language,
            "model": None if self.evaluation is None else self.evaluation.to_dict(),
            "vader_agreement": self.vader_agreement,
            "vader_checked": self.vader_checked,
            "agreement": self.agreement.to_pylist(),
        }

    def figure(self) -> go.Figure:
        """The share of each label per language and method, as stacked bars."""
        import plotly.graph_objects as go

        frame = self.counts().to_pandas()
        frame["group"] = frame["language"].astype(str) + " · " + frame["method"].astype(str)
        totals = frame.groupby("group")["verbatims"].transform("sum")
        frame["share"] = frame["verbatims"] / totals
        fig = go.Figure()
        for label in LABELS:
            rows = frame[frame["label"] == label].sort_values("group")
            fig.add_bar(
                x=rows["group"],
                y=rows["share"],
                name=label,
                marker_color=LABEL_COLOURS[label],
                customdata=rows["verbatims"],
                hovertemplate="%{x}: %{y:.0%} (%{customdata} verbatims)<extra>"
                + label
                + "</extra>",
            )
        title = "sentiment of verbatims by language and method"
        if self.evaluation is not None:
            title += (
                f" (model held-out accuracy {self.evaluation.accuracy:.0%}, "
                f"baseline {self.evaluation.baseline:.0%})"
            )
        fig.update_layout(
            barmode="stack",
            title=title,
            yaxis={"title": "share of verbatims", "tickformat": ".0%", "range": [0, 1]},
            template="plotly_white",
        )
        return fig


def verbatims(backend: Backend, kind: str | None = None) -> pa.Table:
    """Every feedback record with a non-blank text (of one ``kind`` if given): feedback_id, ts,
    kind, score, scale_min, scale_max, text, attributes."""
    feedback = backend.table("feedback")
    kept = feedback.filter(feedback.text.notnull() & (feedback.text.strip().length() > 0))
    if kind is not None:
        kept = kept.filter(kept.kind == kind)
    columns = ["feedback_id", "ts", "kind", "score", "scale_min", "scale_max", "text"]
    return backend.to_arrow(kept.select(*columns, "attributes").order_by("feedback_id"))


def score_labels(rows: pa.Table) -> list[str | None]:
    """`score_label` of each row (columns kind, score, scale_min, scale_max)."""
    return [
        score_label(r["kind"], r["score"], r["scale_min"], r["scale_max"])
        for r in rows.select(["kind", "score", "scale_min", "scale_max"]).to_pylist()
    ]


def _agreement(truth: list[str | None], predicted: list[str]) -> pa.Table:
    pairs: dict[tuple[str, str], int] = {}
    for score_lab, label in zip(truth, predicted, strict=True):
        if score_lab is not None:
            pairs[(score_lab, label)] = pairs.get((score_lab, label), 0) + 1
    ordered = sorted(pairs, key=lambda p: (LABELS.index(p[0]), LABELS.index(p[1])))
    return pa.table(
        {
            "score_label": pa.array([p[0] for p in ordered], pa.string()),
            "label": pa.array([p[1] for p in ordered], pa.string()),
            "verbatims": pa.array([pairs[p] for p in ordered], pa.int64()),
        }
    )


def sentiment(
    backend: Backend,
    query: SentimentQuery | None = None,
    *,
    step: Callable[[str], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Sentiment:
    """Score every verbatim of the workspace and store the ``feedback_sentiment`` table."""
    query = query or SentimentQuery()
    say = step or (lambda _s: None)
    say("reading verbatims")
    rows = verbatims(backend)
    texts = [str(t) for t in rows.column("text").to_pylist()]
    detected = detect_languages(texts)
    default = dominant_language(detected)
    truth = score_labels(rows)
    model: TextModel | None = None
    evaluation: Evaluation | None = None
    scored = [i for i, label in enumerate(truth) if label is not None]
    if query.train and len(scored) >= query.min_texts:
        say(f"learning the sentiment of {len(scored):,} scored verbatims")
        model, evaluation = train_text_model(
            [texts[i] for i in scored],
            [str(truth[i]) for i in scored],
            test_size=query.test_size,
            seed=query.seed,
            min_texts=query.min_texts,
        )
    elif query.method == "model":
        raise ValueError(
            f"only {len(scored)} verbatims have a score: the model needs {query.min_texts} "
            "(use method='auto' or 'vader')"
        )
    say(f"scoring {len(texts):,} verbatims")
    results = score_texts(
        texts,
        model=model,
        default_language=default,
        method=query.method,
        languages=detected,
        progress=progress,
    )
    table = pa.Table.from_arrays(
        [
            rows.column("feedback_id"),
            pa.array([r.language for r in results], pa.string()),
            pa.array([r.sentiment for r in results], pa.float64()),
            pa.array([r.label for r in results], pa.string()),
            pa.array([r.method for r in results], pa.string()),
        ],
        schema=SCHEMA,
    )
    say("storing feedback_sentiment")
    backend.materialise(SENTIMENT_TABLE, ibis.memtable(table))
    checked = [
        (truth[i], r.label)
        for i, r in enumerate(results)
        if truth[i] is not None and r.method == "vader" and r.language == "en"
    ]
    agreement = sum(1 for t, p in checked if t == p) / len(checked) if checked else None
    return Sentiment(
        query=query,
        table=table,
        evaluation=evaluation,
        vader_agreement=agreement,
        vader_checked=len(checked),
        agreement=_agreement(truth, [r.label for r in results]),
        default_language=default,
        model=model,
    )
