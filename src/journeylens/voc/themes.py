"""Themes of the workspace's verbatims: label, volume, share, average score, quotes, trend.

The themes come from `journeylens.voc.theme_model` (TF-IDF + NMF on sentences, the number of
themes chosen by the knee of the explained share when not given). Per theme:

- ``volume``: verbatims whose main theme it is; ``share``: volume / every verbatim analysed
  (verbatims without a theme included, so shares add up to less than 1);
- ``avg_score``: the mean score of its scored verbatims normalised to their scale,
  ``(score - scale_min) / (scale_max - scale_min)`` (0 worst, 1 best; NPS, CSAT, CES and
  ratings on one footing), over ``scored`` verbatims; the raw mean per kind is in ``scores``;
- ``quotes``: the most typical verbatims (largest loading on the theme), distinct;
- the ``trend``: volume per week or month (of the feedback time) and theme.

The ``feedback_themes`` table (replaced at each run) holds one row per verbatim with a theme:
``feedback_id``, ``theme`` (1 = the largest), ``theme_label``, ``weight`` (the theme's share of
the verbatim's loadings).

Examples
--------
>>> ThemesQuery(n=8, period="week").period
'week'
>>> ThemesQuery(n=1)
Traceback (most recent call last):
...
ValueError: n=1: ask for 2 to 50 themes (or None to choose automatically)
>>> period_of(datetime(2025, 3, 5, 10), "week"), period_of(datetime(2025, 3, 5), "month")
('2025-03-03', '2025-03')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from journeylens.palette import GREY, PALETTE
from journeylens.store.backends import Backend
from journeylens.store.schema import FEEDBACK_KINDS
from journeylens.voc.language import LANGUAGES, detect_languages, dominant_language
from journeylens.voc.sentiment import verbatims
from journeylens.voc.theme_model import ThemeFit, fit_themes, typical

if TYPE_CHECKING:
    import plotly.graph_objects as go

THEMES_TABLE = "feedback_themes"
PERIODS = ("week", "month")
#: The fewest verbatims worth looking for themes in.
MIN_VERBATIMS = 20

SCHEMA = pa.schema(
    [
        pa.field("feedback_id", pa.string(), nullable=False),
        pa.field("theme", pa.int64(), nullable=False),
        pa.field("theme_label", pa.string(), nullable=False),
        pa.field("weight", pa.float64(), nullable=False),
    ]
)


@dataclass(frozen=True)
class ThemesQuery:
    """Which verbatims, how many themes.

    Parameters
    ----------
    n : int, optional
        The number of themes; None chooses it (see `journeylens.voc.theme_model`).
    language : str, optional
        Only verbatims in this language (en, pt, es, fr, de, nl, it; undecided ones count
        in the dominant language).
    kind : str, optional
        Only feedback of this kind (nps, csat, ces, rating, text).
    period : {"week", "month"}
        The step of the trend.
    quotes : int
        Representative verbatims per theme.
    seed : int
        The seed of the samples and of NMF (same data and seed, same themes).
    """

    n: int | None = None
    language: str | None = None
    kind: str | None = None
    period: str = "month"
    quotes: int = 3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n is not None and not 2 <= self.n <= 50:
            raise ValueError(
                f"n={self.n}: ask for 2 to 50 themes (or None to choose automatically)"
            )
        if self.language is not None and self.language not in LANGUAGES:
            raise ValueError(f"language '{self.language}' is not one of {', '.join(LANGUAGES)}")
        if self.kind is not None and self.kind not in FEEDBACK_KINDS:
            raise ValueError(f"kind '{self.kind}' is not one of {', '.join(FEEDBACK_KINDS)}")
        if self.period not in PERIODS:
            raise ValueError(f"period '{self.period}' is not one of {', '.join(PERIODS)}")
        if self.quotes < 0:
            raise ValueError(f"quotes={self.quotes}: give 0 or more quotes per theme")


@dataclass
class Themes:
    """Themes of verbatims (see the module notes).

    ``table``: one row per theme: ``theme``, ``label``, ``volume``, ``share``,
    ``avg_score``, ``scored``, ``top_terms``, ``quotes``; ``trend``: ``period``, ``theme``,
    ``label``, ``volume``; ``scores``: ``theme``, ``label``, ``kind``, ``responses``,
    ``mean_score`` (raw, on the kind's scale); ``verbatims`` analysed, ``unthemed`` among them;
    ``explained``: the explained share per number of themes tried (empty when ``n`` was given).
    """

    query: ThemesQuery
    table: pa.Table
    trend: pa.Table
    scores: pa.Table
    verbatims: int
    unthemed: int
    explained: dict[int, float]

    @property
    def k(self) -> int:
        """The number of themes."""
        return int(self.table.num_rows)

    def to_frame(self) -> pd.DataFrame:
        """One row per theme."""
        frame: pd.DataFrame = self.table.to_pandas()
        return frame

    def figure(self) -> go.Figure:
        """Volume per theme as bars, coloured by the average score (red low, green high)."""
        import plotly.graph_objects as go

        frame = self.to_frame().iloc[::-1]
        fig = go.Figure()
        fig.add_bar(
            y=frame["label"],
            x=frame["volume"],
            orientation="h",
            marker={
                "color": frame["avg_score"].fillna(0.5),
                "colorscale": [[0.0, PALETTE[3]], [0.5, GREY], [1.0, PALETTE[2]]],
                "cmin": 0.0,
                "cmax": 1.0,
                "colorbar": {"title": "avg score (0-1)"},
            },
            customdata=np.stack([frame["share"], frame["avg_score"]], axis=-1),
            hovertemplate="%{y}: %{x} verbatims (%{customdata[0]:.0%}), "
            "avg score %{customdata[1]:.2f}<extra></extra>",
        )
        fig.update_layout(
            title=f"{self.k} themes of {self.verbatims:,} verbatims",
            xaxis={"title": "verbatims"},
            template="plotly_white",
            height=max(320, 28 * self.k + 120),
        )
        return fig

    def trend_figure(self, top: int = 8) -> go.Figure:
        """Volume per period of the ``top`` largest themes, one line each."""
        import plotly.graph_objects as go

        frame = self.trend.to_pandas()
        fig = go.Figure()
        for i, (theme, rows) in enumerate(frame[frame["theme"] <= top].groupby("theme")):
            fig.add_scatter(
                x=rows["period"],
                y=rows["volume"],
                mode="lines+markers",
                name=f"{theme}. {rows['label'].iloc[0]}",
                line={"color": PALETTE[i % len(PALETTE)]},
            )
        fig.update_layout(
            title=f"themes per {self.query.period}",
            xaxis={"title": self.query.period},
            yaxis={"title": "verbatims"},
            template="plotly_white",
        )
        return fig


def period_of(ts: datetime, period: str) -> str:
    """The Monday of the week (``2025-03-03``) or the month (``2025-03``) of ``ts``, as
    `journeylens.analytics.segments.period_label` writes them."""
    if period == "week":
        return (ts.date() - timedelta(days=ts.weekday())).isoformat()
    return ts.strftime("%Y-%m")


def _selected(backend: Backend, query: ThemesQuery) -> pa.Table:
    rows = verbatims(backend, query.kind)
    if query.language is None:
        return rows
    detected = detect_languages(str(t) for t in rows.column("text").to_pylist())
    default = dominant_language(detected)
    keep = [(lang or default) == query.language for lang in detected]
    return rows.filter(pa.array(keep, pa.bool_()))


def _theme_rows(rows: pa.Table, fit: ThemeFit, query: ThemesQuery) -> tuple[pa.Table, pa.Table]:
    """The per-theme table and the raw mean score per theme and kind."""
    texts = [str(t) for t in rows.column("text").to_pylist()]
    frame = rows.select(["kind", "score", "scale_min", "scale_max"]).to_pandas()
    frame["theme"] = fit.theme + 1
    scored = frame[frame["score"].notna() & (frame["scale_max"] > frame["scale_min"])].copy()
    scored["normalised"] = (scored["score"] - scored["scale_min"]) / (
        scored["scale_max"] - scored["scale_min"]
    )
    quotes = typical(texts, fit.theme, fit.loading, fit.k, query.quotes)
    labels = fit.labels
    volume = np.bincount(fit.theme[fit.theme >= 0], minlength=fit.k)
    mean = scored.groupby("theme")["normalised"].agg(["mean", "count"])
    table = pa.table(
        {
            "theme": pa.array(range(1, fit.k + 1), pa.int64()),
            "label": pa.array(labels, pa.string()),
            "volume": pa.array(volume.tolist(), pa.int64()),
            "share": pa.array((volume / max(len(texts), 1)).tolist(), pa.float64()),
            "avg_score": pa.array(
                [_value(mean, t, "mean") for t in range(1, fit.k + 1)], pa.float64()
            ),
            "scored": pa.array(
                [int(_value(mean, t, "count") or 0) for t in range(1, fit.k + 1)], pa.int64()
            ),
            "top_terms": pa.array(fit.top_terms, pa.list_(pa.string())),
            "quotes": pa.array(quotes, pa.list_(pa.string())),
        }
    )
    per_kind = (
        scored[scored["theme"] > 0]
        .groupby(["theme", "kind"])["score"]
        .agg(responses="count", mean_score="mean")
        .reset_index()
        .sort_values(["theme", "kind"])
    )
    scores = pa.table(
        {
            "theme": pa.array(per_kind["theme"].tolist(), pa.int64()),
            "label": pa.array([labels[t - 1] for t in per_kind["theme"]], pa.string()),
            "kind": pa.array(per_kind["kind"].tolist(), pa.string()),
            "responses": pa.array(per_kind["responses"].tolist(), pa.int64()),
            "mean_score": pa.array(per_kind["mean_score"].tolist(), pa.float64()),
        }
    )
    return table, scores


def _value(frame: pd.DataFrame, theme: int, column: str) -> float | None:
    return float(np.asarray(frame.loc[theme, column])) if theme in frame.index else None


def _trend(rows: pa.Table, fit: ThemeFit, period: str) -> pa.Table:
    counts: dict[tuple[str, int], int] = {}
    for ts, theme in zip(rows.column("ts").to_pylist(), fit.theme.tolist(), strict=True):
        if theme >= 0:
            key = (period_of(ts, period), theme + 1)
            counts[key] = counts.get(key, 0) + 1
    keys = sorted(counts)
    return pa.table(
        {
            "period": pa.array([k[0] for k in keys], pa.string()),
            "theme": pa.array([k[1] for k in keys], pa.int64()),
            "label": pa.array([fit.labels[k[1] - 1] for k in keys], pa.string()),
            "volume": pa.array([counts[k] for k in keys], pa.int64()),
        }
    )


def themes(
    backend: Backend,
    query: ThemesQuery | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> Themes:
    """Find the themes of the workspace's verbatims and store ``feedback_themes``."""
    query = query or ThemesQuery()
    say = progress or (lambda _s: None)
    say("reading verbatims")
    rows = _selected(backend, query)
    if rows.num_rows < MIN_VERBATIMS:
        scope = ", ".join(
            f"{name} {value}"
            for name, value in (("kind", query.kind), ("language", query.language))
            if value is not None
        )
        raise ValueError(
            f"{rows.num_rows} verbatims{' of ' + scope if scope else ''}: themes need at "
            f"least {MIN_VERBATIMS} (ingest feedback with text, or widen the kind/language)"
        )
    texts = [str(t) for t in rows.column("text").to_pylist()]
    fit = fit_themes(texts, query.n, seed=query.seed, progress=say)
    table, scores = _theme_rows(rows, fit, query)
    themed = np.flatnonzero(fit.theme >= 0)
    stored = pa.Table.from_arrays(
        [
            rows.column("feedback_id").take(pa.array(themed)),
            pa.array((fit.theme[themed] + 1).tolist(), pa.int64()),
            pa.array([fit.labels[t] for t in fit.theme[themed].tolist()], pa.string()),
            pa.array(fit.weight[themed].tolist(), pa.float64()),
        ],
        schema=SCHEMA,
    )
    say("storing feedback_themes")
    backend.materialise(THEMES_TABLE, ibis.memtable(stored))
    return Themes(
        query=query,
        table=table,
        trend=_trend(rows, fit, query.period),
        scores=scores,
        verbatims=rows.num_rows,
        unthemed=int((fit.theme < 0).sum()),
        explained=fit.explained,
    )
