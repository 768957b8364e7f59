"""A sentiment model learnt from the scores customers gave beside their words.

Where verbatims come with a score (NPS, CSAT, CES, rating), the score says whether the customer
was unhappy, so it is a free label in any language. Each score becomes ``negative``,
``neutral`` or ``positive`` on its own scale (`score_label`), and a language-agnostic text
classifier learns them: TF-IDF of words (1-2 grams) and of characters (2-4 grams within words,
robust to typos and inflections), accents stripped, then a multinomial logistic regression.

Its accuracy is measured on a stratified held-out split (20 % by default, fixed seed) beside the
majority-class baseline (always answering the most frequent label of the training part); the
model then learns again from every scored verbatim before it scores anything.

Examples
--------
>>> score_label("nps", 6, 0, 10), score_label("nps", 8, 0, 10), score_label("nps", 9, 0, 10)
('negative', 'neutral', 'positive')
>>> score_label("csat", 2, 1, 5), score_label("csat", 3, 1, 5), score_label("ces", 5, 1, 7)
('negative', 'neutral', 'positive')
>>> score_label("text", None, None, None) is None
True
>>> texts = ["great fast delivery", "terrible never arrived", "great product", "never again"]
>>> model, check = train_text_model(texts * 10, ["positive", "negative"] * 20, min_texts=10)
>>> model.predict(["great delivery"])[1], check.test
(['positive'], 8)
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

#: The sentiment labels, from worst to best.
LABELS: tuple[str, ...] = ("negative", "neutral", "positive")

#: On any scale but NPS: a score normalised to [0, 1] below this is negative, above
#: `POSITIVE_FROM` positive (1-5: 1-2 | 3 | 4-5; 1-7: 1-3 | 4 | 5-7; 0-10: 0-3 | 4-6 | 7-10).
NEGATIVE_BELOW = 0.4
POSITIVE_FROM = 0.6


def normalised(score: float, scale_min: float, scale_max: float) -> float:
    """``score`` on [0, 1] of its scale (higher is better on every journeylens scale).

    Examples
    --------
    >>> normalised(4, 1, 5), normalised(7, 0, 10)
    (0.75, 0.7)
    """
    return (score - scale_min) / (scale_max - scale_min)


def score_label(
    kind: str | None, score: float | None, scale_min: float | None, scale_max: float | None
) -> str | None:
    """The sentiment a score stands for, or None without a score or a scale.

    NPS answers on 0-10 follow the NPS buckets (detractors 0-6 negative, passives 7-8 neutral,
    promoters 9-10 positive); other scores are normalised to [0, 1]: below 0.4 negative, above
    0.6 positive, neutral between (both limits included in neutral).
    """
    if score is None or scale_min is None or scale_max is None or scale_max <= scale_min:
        return None
    if score != score:  # NaN
        return None
    if kind == "nps" and (scale_min, scale_max) == (0.0, 10.0):
        return "negative" if score <= 6 else ("neutral" if score <= 8 else "positive")
    value = normalised(score, scale_min, scale_max)
    if value < NEGATIVE_BELOW:
        return "negative"
    return "positive" if value > POSITIVE_FROM else "neutral"


@dataclass(frozen=True)
class Evaluation:
    """How well the model predicts the score's label of verbatims it did not learn from.

    ``accuracy`` and ``macro_f1`` on the held-out part; ``baseline`` the accuracy of always
    answering ``majority`` (the most frequent label of the training part); ``train``/``test``
    the sizes of both parts; ``labels`` the count of each label among every scored verbatim.
    """

    accuracy: float
    baseline: float
    majority: str
    macro_f1: float
    train: int
    test: int
    labels: dict[str, int]
    test_size: float
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """The figures, ready for JSON."""
        return asdict(self)


class TextModel:
    """A fitted classifier of verbatims into `LABELS` (see the module notes).

    Parameters
    ----------
    pipeline : sklearn Pipeline
        The fitted vectorisers and classifier.
    """

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline

    @property
    def classes(self) -> list[str]:
        """The labels the model knows (a subset of `LABELS` when a label never occurred)."""
        return [str(c) for c in self.pipeline.classes_]

    def predict(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float64], list[str]]:
        """The sentiment of each text in [-1, 1] (P(positive) - P(negative)) and its label
        (the most probable one)."""
        if not texts:
            return np.zeros(0), []
        probabilities = np.asarray(self.pipeline.predict_proba(list(texts)), dtype=np.float64)
        classes = self.classes
        positive = probabilities[:, classes.index("positive")] if "positive" in classes else 0.0
        negative = probabilities[:, classes.index("negative")] if "negative" in classes else 0.0
        sentiment = np.asarray(positive - negative, dtype=np.float64)
        labels = [classes[i] for i in probabilities.argmax(axis=1).tolist()]
        return sentiment, labels

    def save(self, path: Path) -> None:
        """Write the model (a pickle: load only files you wrote yourself)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(self.pipeline))

    @classmethod
    def load(cls, path: Path) -> TextModel:
        """Read a model written by `save`."""
        return cls(pickle.loads(path.read_bytes()))  # the workspace's own file


def _pipeline(seed: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, strip_accents="unicode")
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        min_df=2,
        sublinear_tf=True,
        strip_accents="unicode",
    )
    classifier = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    return make_pipeline(make_union(word, chars), classifier)


def train_text_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    test_size: float = 0.2,
    seed: int = 0,
    min_texts: int = 100,
    refit: bool = True,
) -> tuple[TextModel, Evaluation]:
    """Learn `LABELS` from scored verbatims and measure the accuracy on a held-out part.

    Parameters
    ----------
    texts, labels : sequences of str
        The verbatims and the label of their score (`score_label`).
    test_size : float
        The held-out share, split stratified by label with ``seed``.
    min_texts : int
        Fewer scored verbatims than this is too few to learn from (a ``ValueError``).
    refit : bool
        Learn again from every verbatim after the evaluation (the returned model); False
        returns the model of the training part.
    """
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import train_test_split

    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels: give one label per text")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size {test_size} must lie between 0 and 1, e.g. 0.2")
    counts = Counter(labels)
    unknown = set(counts) - set(LABELS)
    if unknown:
        raise ValueError(f"unknown labels {sorted(unknown)}: use {', '.join(LABELS)}")
    kept = [i for i, label in enumerate(labels) if counts[label] >= 2]
    if len(kept) < min_texts or len({labels[i] for i in kept}) < 2:
        raise ValueError(
            f"{len(kept)} scored verbatims in {len(counts)} label(s): the model needs at least "
            f"{min_texts} with two labels or more (ingest feedback with both a score and a text)"
        )
    x = [texts[i] for i in kept]
    y = [labels[i] for i in kept]
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, stratify=y, random_state=seed
    )
    pipeline = _pipeline(seed).fit(x_train, y_train)
    predicted = pipeline.predict(x_test)
    majority = Counter(y_train).most_common(1)[0][0]
    evaluation = Evaluation(
        accuracy=float(accuracy_score(y_test, predicted)),
        baseline=float(np.mean([label == majority for label in y_test])),
        majority=majority,
        macro_f1=float(f1_score(y_test, predicted, average="macro")),
        train=len(x_train),
        test=len(x_test),
        labels={label: counts[label] for label in LABELS if counts[label]},
        test_size=test_size,
        seed=seed,
    )
    if refit:
        pipeline = _pipeline(seed).fit(x, y)
    return TextModel(pipeline), evaluation
