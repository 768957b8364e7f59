"""The voice-of-the-customer methods of a workspace (see `journeylens.voc`).

`Workspace` inherits these methods; each checks that what it needs is there, turns its keyword
arguments into the analysis's typed query, and runs it on the workspace's engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journeylens.config import WorkspaceConfig
from journeylens.frame import Frame
from journeylens.store.backends import Backend
from journeylens.voc.linkage import FEEDBACK_LINKS, LinkReport, link_feedback
from journeylens.voc.scores import Scores, ScoresQuery, scores

if TYPE_CHECKING:
    from journeylens.voc.drivers import Drivers
    from journeylens.voc.journey_features import JourneyFeatures
    from journeylens.voc.say_do import SayDo
    from journeylens.voc.sentiment import Sentiment
    from journeylens.voc.text_model import TextModel
    from journeylens.voc.themes import Themes
    from journeylens.voc.touchpoint_gap import TouchpointGap


class VoiceMethods:
    """The voice-of-the-customer methods of `journeylens.workspace.Workspace`."""

    root: Path
    config: WorkspaceConfig
    backend: Backend

    if TYPE_CHECKING:  # provided by `journeylens.analyses.Analyses`

        def _require(self, name: str, hint: str) -> None: ...

    def link_feedback(self) -> LinkReport:
        """Link every feedback record to its event and journey again and store the
        ``feedback_links`` table (``journeylens build`` does this too); returns the counts per
        link method and scope (see `journeylens.voc.linkage`; settings: ``voc:`` in
        journeylens.yaml)."""
        self._require("feedback", "ingest feedback with kind='feedback'")
        self._require("journeys", "run journeylens build")
        return link_feedback(self.backend, self.config.voc)

    def feedback_links(self) -> Frame:
        """One row per feedback record: ``customer_key``, ``journey_key``, ``journey_type``,
        ``event_id``, ``link_method``, ``scope``, ``lag_seconds`` (join ``feedback`` on
        ``feedback_id`` for the answer itself)."""
        self._require(FEEDBACK_LINKS, "ingest feedback, then run journeylens build")
        table = self.backend.table(FEEDBACK_LINKS)
        return Frame(self.backend, table.order_by("feedback_id"))

    def scores(
        self,
        kind: str = "nps",
        *,
        by: str | None = None,
        scope: str | None = None,
        period: str | None = None,
        journey_type: str | None = None,
        confidence: float = 0.95,
    ) -> Scores:
        """NPS, CSAT or CES per group with counts and confidence intervals (see
        `journeylens.voc.scores`).

        ``by`` is a feedback segment (``journey_type``, ``channel``, ``scope``,
        ``period:month``, ``attribute:segment``, ``journey:entry_channel`` …, see
        `journeylens.voc.feedback_segments`) or None for all; ``scope`` keeps touchpoint,
        journey or relationship feedback; ``period`` adds a trend. ``to_frame()`` has per group
        ``responses``, ``mean`` and, for NPS, ``promoters``, ``detractors``, ``nps``,
        ``nps_low``, ``nps_high``; for CSAT ``csat`` (top-2-box %); for CES ``easy_share``.
        """
        self._require(FEEDBACK_LINKS, "ingest feedback, then run journeylens build")
        query = ScoresQuery(
            kind=kind,
            by=by,
            scope=scope,
            period=period,
            journey_type=journey_type,
            confidence=confidence,
        )
        return scores(self.backend, query)

    # -- journey features, key drivers, touchpoint vs journey, say vs do (VOC-DRIVERS) -----

    def _feature_maps(self, maps: Any) -> Any:
        """Journey maps for conformance features: given ones, a file, ``journey_maps.yaml``
        in the workspace when ``maps`` is None and the file exists, none when False."""
        from journeylens.analytics.journey_maps import MAPS_FILE, resolve_maps

        if maps is False or (maps is None and not (self.root / MAPS_FILE).exists()):
            return None
        return resolve_maps(self.root, maps)

    def journey_features(
        self,
        *,
        journey_type: str | None = None,
        activities: int = 10,
        maps: Any = None,
        themes: bool = True,
    ) -> JourneyFeatures:
        """One row per journey of interpretable features: hand-offs, repeat contacts, steps,
        duration, channel and activity flags, numeric event attributes (``wait_seconds_sum``),
        conformance to the journey maps, themes (see `journeylens.voc.journey_features`).

        ``maps``: journey maps or a YAML file of them; None reads ``journey_maps.yaml`` in the
        workspace when it exists; False leaves conformance out.
        """
        from journeylens.voc.journey_features import FeaturesQuery, journey_features

        self._require("journeys", "run journeylens build")
        query = FeaturesQuery(
            journey_type=journey_type,
            activities=activities,
            maps=self._feature_maps(maps),
            themes=themes,
        )
        return journey_features(self.backend, query)

    def drivers(
        self,
        kind: str = "nps",
        *,
        target: str = "score",
        scope: str | None = "journey",
        journey_type: str | None = None,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
        activities: int = 10,
        maps: Any = None,
        themes: bool = True,
        max_vif: float | None = 10.0,
        min_count: int = 10,
        level: float = 0.95,
    ) -> Drivers:
        """Key drivers of low scores, detractors or a bad journey outcome, ranked by
        standardised effect with confidence intervals and example journeys (see
        `journeylens.voc.drivers`).

        ``ws.drivers("nps", target="detractor")``, ``ws.drivers("rating", target="low:2",
        scope=None)``, ``ws.drivers("journey", target="failure", journey_type="fault")``.
        ``to_frame()``: ``rank``, ``feature``, ``label``, ``effect`` (per standard deviation)
        with ``effect_ci_low``/``effect_ci_high``, ``direction``, with vs without
        (``mean_with``, ``mean_without``, ``difference``, ``lift``) and ``examples``.
        """
        from journeylens.voc.drivers import DriversQuery, drivers
        from journeylens.voc.journey_features import FeaturesQuery

        self._require("journeys", "run journeylens build")
        query = DriversQuery(
            kind=kind,
            target=target,
            scope=scope,
            journey_type=journey_type,
            include=None if include is None else tuple(include),
            exclude=tuple(exclude),
            min_count=min_count,
            max_vif=max_vif,
            level=level,
            features=FeaturesQuery(
                journey_type=journey_type,
                activities=activities,
                maps=self._feature_maps(maps),
                themes=themes,
            ),
        )
        return drivers(self.backend, query)

    def touchpoint_gap(
        self,
        *,
        touchpoint_kind: str = "csat",
        journey_kinds: Sequence[str] = ("nps", "ces"),
        journey_type: str | None = None,
        good_touchpoint: float | None = None,
        poor_journey: float | None = None,
    ) -> TouchpointGap:
        """Touchpoint scores beside journey scores per journey type, and the journeys whose
        touchpoints all scored well but whose journey score is poor (see
        `journeylens.voc.touchpoint_gap`)."""
        from journeylens.voc.touchpoint_gap import GapQuery, touchpoint_gap

        self._require(FEEDBACK_LINKS, "ingest feedback, then run journeylens build")
        query = GapQuery(
            touchpoint_kind=touchpoint_kind,
            journey_kinds=tuple(journey_kinds),
            good_touchpoint=good_touchpoint,
            poor_journey=poor_journey,
            journey_type=journey_type,
        )
        return touchpoint_gap(self.backend, query)

    def say_do(
        self,
        say: str = "stated_preferred_channel",
        do: str = "channels",
        *,
        unit: str = "journey",
        kind: str | None = None,
        scope: str | None = None,
        journey_type: str | None = None,
    ) -> SayDo:
        """What customers state (a feedback attribute) beside what they did (channels used,
        main, first or entry channel, journey type): a cross-table and the agreement rate with
        its interval and the rate expected by chance (see `journeylens.voc.say_do`)."""
        from journeylens.voc.say_do import SayDoQuery, say_do

        self._require(FEEDBACK_LINKS, "ingest feedback, then run journeylens build")
        query = SayDoQuery(
            say=say, do=do, unit=unit, kind=kind, scope=scope, journey_type=journey_type
        )
        return say_do(self.backend, query)

    # -- sentiment and themes of verbatims (VOC-TEXT) ------------------------------------

    #: Where `sentiment` keeps the text model learnt from scores (for `sentiment_model`).
    SENTIMENT_MODEL = ".journeylens/sentiment-model.pickle"

    def sentiment(
        self,
        *,
        method: str = "auto",
        train: bool = True,
        test_size: float = 0.2,
        seed: int = 0,
        step: Callable[[str], None] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Sentiment:
        """Score the sentiment of every verbatim and store ``feedback_sentiment`` (see
        `journeylens.voc.sentiment`): VADER for English, a model learnt from the scores for
        other languages. The result has the model's held-out ``evaluation`` (accuracy beside
        the majority baseline); the model is kept for `sentiment_model`."""
        from journeylens.voc.sentiment import SentimentQuery, sentiment

        self._require("feedback", "ingest feedback with kind='feedback'")
        query = SentimentQuery(method=method, train=train, test_size=test_size, seed=seed)
        result = sentiment(self.backend, query, step=step, progress=progress)
        path = self.root / self.SENTIMENT_MODEL
        if result.model is not None:
            result.model.save(path)
        return result

    def sentiment_model(self) -> TextModel | None:
        """The text model the last `sentiment` learnt (None if none was), for
        ``journeylens.voc.sentiment.score_texts(texts, model=...)``."""
        from journeylens.voc.text_model import TextModel

        path = self.root / self.SENTIMENT_MODEL
        return TextModel.load(path) if path.exists() else None

    def themes(
        self,
        n: int | None = None,
        *,
        language: str | None = None,
        kind: str | None = None,
        period: str = "month",
        quotes: int = 3,
        seed: int = 0,
        progress: Callable[[str], None] | None = None,
    ) -> Themes:
        """Group verbatims into themes and store ``feedback_themes`` (see
        `journeylens.voc.themes`): ``to_frame()`` has per theme ``label``, ``volume``,
        ``share``, ``avg_score`` (0-1 of the scale), ``quotes``; ``trend`` the volume per
        period. ``n=None`` chooses the number of themes."""
        from journeylens.voc.themes import ThemesQuery, themes

        self._require("feedback", "ingest feedback with kind='feedback'")
        query = ThemesQuery(
            n=n, language=language, kind=kind, period=period, quotes=quotes, seed=seed
        )
        return themes(self.backend, query, progress=progress)
