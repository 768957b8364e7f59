"""Sentiment of a verbatim for feedback rules: VADER's compound score (-1 … 1, English).

The analyser is built on first use only, so rule sets without a ``sentiment:`` condition
never load it.

Examples
--------
>>> vader_compound("The agent was wonderful, thank you!") > 0.5
True
>>> vader_compound("Terrible. Charged twice and nobody helps.") < 0
True
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _analyser() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_compound(text: str) -> float:
    """VADER's compound polarity of ``text``, rounded to 4 decimals."""
    scores = _analyser().polarity_scores(text)
    return round(float(scores["compound"]), 4)
