"""The analyses of a workspace: one method per analysis of `journeylens.analytics`.

`Workspace` inherits these methods; each checks that journeys are built, turns its keyword
arguments into the analysis's typed query, and runs it on the workspace's engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from journeylens.analytics import (
    ProcessMap,
    ProcessMapQuery,
    Variants,
    VariantsQuery,
    process_map,
    variants,
)
from journeylens.analytics.breakdown import BreakdownQuery, Breakdowns, breakdowns
from journeylens.analytics.cleaning import RuleLike, rules
from journeylens.analytics.compare import CompareQuery, Comparison, compare
from journeylens.analytics.conformance import Conformance, ConformanceQuery, conformance
from journeylens.analytics.consistency import Consistency, ConsistencyQuery, consistency
from journeylens.analytics.flows import Flows, FlowsQuery, flows
from journeylens.analytics.funnels import Funnel, FunnelQuery, funnel
from journeylens.analytics.journey_maps import JourneyMaps, resolve_maps
from journeylens.analytics.metrics import JourneyMetrics, MetricsQuery, metrics
from journeylens.analytics.patterns import PathMatches, PatternQuery, match_paths
from journeylens.config import WorkspaceConfig
from journeylens.errors import WorkspaceError
from journeylens.journeys import STEPS_TABLE
from journeylens.store.backends import Backend


class Analyses:
    """The analysis methods of `journeylens.workspace.Workspace`."""

    root: Path
    config: WorkspaceConfig
    backend: Backend

    def _require(self, name: str, hint: str) -> None:
        if not self.backend.has_table(name):
            raise WorkspaceError(f"no {name} table yet: {hint}")

    def _rules(self) -> dict[str, Any]:
        """The metrics rules and journey definitions of `journeylens.yaml`."""
        return {
            "settings": self.config.metrics,
            "definitions": tuple(self.config.journeys.definitions),
        }

    def _with_workspace_context(self, analysis: str, options: dict[str, Any]) -> dict[str, Any]:
        """``options`` with what the analysis's query takes from the workspace (its rules, its
        journey maps), unless the caller gave it."""
        adapt: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "metrics": lambda given: {**self._rules(), **given},
            "breakdowns": lambda given: {**self._rules(), **given},
            "conformance": lambda given: {
                **given,
                "maps": resolve_maps(self.root, given.get("maps")),
            },
        }
        return adapt.get(analysis, dict)(options)

    def process_map(
        self,
        *,
        by: str = "activity",
        journey_type: str | None = None,
        markers: bool = False,
        min_share: float | None = None,
    ) -> ProcessMap:
        """The directly-follows graph of the journeys (see `journeylens.analytics.process_map`).

        ``to_frame()`` has one row per edge: ``source``, ``target``, ``events``, ``journeys``,
        ``median_seconds``, ``p90_seconds``. Start and end appear as edges only with
        ``markers=True``. ``min_share=0.9`` keeps the most frequent nodes and edges covering
        90% of the events (the result's ``kept_edge_share`` says how much was kept).
        """
        self._require(STEPS_TABLE, "run journeylens build")
        query = ProcessMapQuery(
            by=by,  # type: ignore[arg-type]
            journey_type=journey_type,
            markers=markers,
            min_share=min_share,
        )
        return process_map(self.backend, query)

    def flows(
        self,
        *,
        anchor: str | None = None,
        direction: str = "forward",
        steps: int = 5,
        cap: int | None = 10,
        by: str = "activity",
        journey_type: str | None = None,
        rename: Sequence[RuleLike] | None = None,
        collapse_repeats: bool = False,
        occurrence: str = "first",
    ) -> Flows:
        """Where journeys go after (or come from before) an anchor, step by step: a Sankey
        (see `journeylens.analytics.flows`).

        ``to_frame()`` has one row per link: ``step``, ``source``, ``target``, ``journeys``,
        ``share``; journeys that end early flow into ``■ end``. ``rename`` takes cleaning
        rules, e.g. ``["^view_.*=browse"]`` or ``[{"pattern": "^view_.*", "replace":
        "browse"}]``.
        """
        self._require(STEPS_TABLE, "run journeylens build")
        query = FlowsQuery(
            anchor=anchor,
            direction=direction,  # type: ignore[arg-type]
            steps=steps,
            cap=cap,
            by=by,  # type: ignore[arg-type]
            journey_type=journey_type,
            rename=rules(rename),
            collapse_repeats=collapse_repeats,
            occurrence=occurrence,  # type: ignore[arg-type]
        )
        return flows(self.backend, query)

    def paths(
        self,
        pattern: str,
        *,
        by: str = "activity",
        journey_type: str | None = None,
        rename: Sequence[RuleLike] | None = None,
        collapse_repeats: bool = False,
    ) -> PathMatches:
        """The journeys whose path matches ``pattern``, e.g. ``"add_to_cart ->
        [^support_chat]* -> purchase"`` (see `journeylens.analytics.pattern_syntax`).

        The result has ``count``, ``share``, the matching ``variants`` and ``journeys()`` (the
        matching journey keys).
        """
        self._require(STEPS_TABLE, "run journeylens build")
        query = PatternQuery(
            pattern,
            by=by,  # type: ignore[arg-type]
            journey_type=journey_type,
            rename=rules(rename),
            collapse_repeats=collapse_repeats,
        )
        return match_paths(self.backend, query)

    def variants(
        self,
        *,
        by: str = "activity",
        journey_type: str | None = None,
        collapse_repeats: bool = False,
        top: int | None = None,
    ) -> Variants:
        """Distinct journey paths: ``path``, ``journeys``, ``share``, ``median_seconds``."""
        self._require(STEPS_TABLE, "run journeylens build")
        query = VariantsQuery(
            by=by,  # type: ignore[arg-type]
            journey_type=journey_type,
            collapse_repeats=collapse_repeats,
            top=top,
        )
        return variants(self.backend, query)

    def funnel(
        self,
        *,
        steps: Sequence[str],
        by: str = "activity",
        unit: str = "journey",
        order: str = "ordered",
        window: str | int | None = None,
        step_window: str | int | Sequence[str | int | None] | None = None,
        exclude: Sequence[Any] = (),
        journey_type: str | None = None,
        breakdown: str | None = None,
        top_next: int | None = 10,
        keys: bool = False,
    ) -> Funnel:
        """A funnel through ``steps`` (see `journeylens.analytics.funnels.FunnelQuery`).

        ``to_frame()`` has one row per step: ``step``, ``label``, ``entered``, ``converted``,
        ``conversion``, ``from_start``, ``dropped``, ``drop_rate`` and the median and p90
        seconds to convert; ``dropouts`` says what the units that dropped out did next.

        Examples
        --------
        ``ws.funnel(steps=["move_form_started", "move_form_submitted"], window="14d",
        exclude=["move_form_error"], by="activity")``
        """
        self._require(STEPS_TABLE, "run journeylens build")
        query = FunnelQuery(
            steps=steps,
            by=by,  # type: ignore[arg-type]
            unit=unit,  # type: ignore[arg-type]
            order=order,  # type: ignore[arg-type]
            window=window,
            step_window=step_window,
            exclude=exclude,
            journey_type=journey_type,
            breakdown=breakdown,
            top_next=top_next,
            keys=keys,
        )
        return funnel(self.backend, query)

    def conformance(
        self,
        *,
        maps: JourneyMaps | dict[str, Any] | Path | str | None = None,
        journey_type: str | None = None,
    ) -> Conformance:
        """Designed vs actual (see `journeylens.analytics.conformance`).

        ``maps``: journey maps, a YAML file of them, or None for ``journey_maps.yaml`` in the
        workspace root. ``to_frame()`` has one row per journey of a mapped type: ``fitness``,
        ``off_path``, ``skipped``, ``loops``, ``sla_breach`` …; ``hotspots`` the deviations
        per stage and ``activity@channel``.
        """
        self._require(STEPS_TABLE, "run journeylens build")
        query = ConformanceQuery(resolve_maps(self.root, maps), journey_type)
        return conformance(self.backend, query)

    def metrics(
        self,
        *,
        by: str | None = "journey_type",
        journey_type: str | None = None,
        period: str | None = None,
    ) -> JourneyMetrics:
        """Journey metrics per segment and per journey (see `journeylens.analytics.metrics`).

        ``by`` is a segment (``journey_type``, ``channel``, ``start_channel``,
        ``attribute:segment`` …, see `journeylens.analytics.segments`) or None for all;
        ``period="week"`` or ``"month"`` adds a trend. ``to_frame()`` has per segment:
        ``journeys``, ``median_seconds``, ``steps``, ``handoffs``, ``repeat_contacts``,
        ``fcr_rate``, ``success_rate``, ``abandonment_rate``, ``effort``, ``friction`` and the
        faces ``effortless``, ``productive``, ``painless`` (0-100); ``journeys`` the metrics of
        every journey. Weights: the ``metrics:`` section of journeylens.yaml.
        """
        self._require(STEPS_TABLE, "run journeylens build")
        query = MetricsQuery(
            by=by,
            journey_type=journey_type,
            period=period,
            **self._rules(),
        )
        return metrics(self.backend, query)

    def breakdowns(
        self,
        *,
        journey_type: str | None = None,
        by: str = "activity",
        kinds: Sequence[str] = ("failure", "escalation", "abandonment"),
    ) -> Breakdowns:
        """Where journeys break down and whether they recover (see
        `journeylens.analytics.breakdown`).

        ``to_frame()`` has one row per breakdown point: ``kind``, ``label``, ``breakdowns``,
        ``recovered``, ``recovery_rate``, ``median_seconds_to_recover``,
        ``recovery_channels``, ``success_after_recovery`` …; ``breakdowns`` every breakdown.
        """
        self._require(STEPS_TABLE, "run journeylens build")
        query = BreakdownQuery(
            by=by,  # type: ignore[arg-type]
            journey_type=journey_type,
            kinds=tuple(kinds),
            **self._rules(),
        )
        return breakdowns(self.backend, query)

    def consistency(
        self,
        *,
        metric: str = "journeys",
        by: str | None = "channel",
        journey_type: str | None = None,
    ) -> Consistency:
        """How a metric varies across groups and weeks, with drift flags (see
        `journeylens.analytics.consistency`).

        ``to_frame()`` has per group ``journeys``, ``value``, ``weekly_cv``, ``drift_weeks``;
        ``weekly`` the weekly series with ``baseline``, ``low``, ``high`` and ``drift``;
        ``spread`` the variation across groups. The rule: ``metrics.drift`` in journeylens.yaml.
        """
        self._require(STEPS_TABLE, "run journeylens build")
        query = ConsistencyQuery(
            metric=metric,
            by=by,
            journey_type=journey_type,
            **self._rules(),
        )
        return consistency(self.backend, query)

    def compare(
        self,
        segment: str,
        a: str,
        b: str,
        *,
        analysis: str = "journeys",
        journey_type: str | None = None,
        alpha: float = 0.05,
        **options: Any,
    ) -> Comparison:
        """Any analysis for two groups of a segment side by side, differences ranked.

        ``ws.compare("entry_channel", "app", "phone", journey_type="renewal")`` compares the
        journey measures; ``analysis="process_map", by="channel"`` … compares process maps
        (the remaining keyword arguments are the analysis's own options). See
        `journeylens.analytics.compare`.
        """
        self._require(STEPS_TABLE, "run journeylens build")
        query = CompareQuery(
            segment=segment,
            a=a,
            b=b,
            analysis=analysis,
            options=self._with_workspace_context(analysis, options),
            journey_type=journey_type,
            alpha=alpha,
        )
        return compare(self.backend, query)
