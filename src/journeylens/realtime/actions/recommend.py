"""Next best action: the rule's own text, and a model's prediction when there is one.

A ``next_best_action`` action attaches its configured ``text`` (and ``channel``) to the
moment as soon as the moment is recorded. When the workspace has a trained model, the
prediction issue's `journeylens.predict` supplies a second recommendation for the customer,
attached by the delivery worker (source ``model``). Without a model nothing is invented: only
the configured text is there.

A *recommender* is any callable taking the moment (as the outbox lists it: ``rule``,
``customer_key``, ``ts``, ``journey_key`` …) and returning a mapping with ``text`` and
optionally ``channel``, ``score`` and ``details``, or None when it has nothing to say.

Examples
--------
>>> rec = as_recommendation({"text": "Offer a call back", "channel": "phone", "score": 0.7})
>>> rec.text, rec.channel, rec.score
('Offer a call back', 'phone', 0.7)
>>> as_recommendation(None) is None
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: moment (as a dict) -> a recommendation mapping, or None.
Recommender = Callable[[Mapping[str, Any]], Mapping[str, Any] | None]

#: The one function of `journeylens.predict` this module calls, when it exists:
#: ``recommender(workspace) -> Recommender | None`` (None when no model is trained).
PREDICT_MODULE, PREDICT_FUNCTION = "journeylens.predict", "recommender"


@dataclass(frozen=True)
class Recommendation:
    """One recommendation attached to a moment."""

    text: str
    channel: str | None = None
    score: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def as_recommendation(value: Mapping[str, Any] | None) -> Recommendation | None:
    """Read what a recommender returned (None, or a mapping with at least ``text``)."""
    if value is None:
        return None
    text = value.get("text")
    if not text:
        raise ValueError(f"a recommendation needs a 'text' (got {dict(value)!r})")
    score = value.get("score")
    return Recommendation(
        text=str(text),
        channel=None if value.get("channel") is None else str(value["channel"]),
        score=None if score is None else float(score),
        details=dict(value.get("details") or {}),
    )


def model_recommender(workspace: Any) -> Recommender | None:
    """The prediction module's recommender for ``workspace``, or None.

    None when `journeylens.predict` has no ``recommender`` function (the prediction work has
    not landed) or when it answers None (no trained model in this workspace).
    """
    try:
        module = importlib.import_module(PREDICT_MODULE)
    except ImportError:
        return None
    factory = getattr(module, PREDICT_FUNCTION, None)
    if factory is None:
        return None
    made: Recommender | None = factory(workspace)
    return made
