"""Drivers of 1-2 star reviews on the Olist e-commerce data (orders -> delivery -> review).

Run from the repository root (the Olist files are not shipped with journeylens):

    .venv/bin/python examples/olist_drivers.py ../shared/data/olist_sample olist-ws

It turns the Olist CSV files into events and feedback (`journeylens.datasets.olist`), builds a
workspace (one journey per order; every review links to its order by the explicit journey key),
and prints the key drivers of 1-2 star reviews: for every reviewed order, then for the
delivered orders only. ``olist-ws/drivers.html`` gets the forest plot of the delivered orders.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import journeylens
from journeylens.datasets.olist import prepare

#: Journey measures that on Olist only count how far an order got (each step is on a new
#: channel), and the channel flags that repeat the activity flags: left out so that the
#: drivers read as order facts.
EXCLUDE = ["handoffs", "steps", "channels", "duration_hours", "channel_*"]


def main(src: Path, root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    files = prepare(src, root / "data")
    print(f"{files.orders:,} orders -> {files.events:,} events, {files.reviews:,} reviews")
    ws = journeylens.init(root)
    ws.ingest(files.events_path, source="olist")
    ws.ingest(files.feedback_path, kind="feedback", source="olist")
    built = ws.build()
    print(
        f"{built.journeys:,} journeys of {built.identity.customers:,} customers; reviews linked "
        f"{built.feedback_linked:,}, unlinked {built.feedback_unlinked:,}"
    )
    for title, view in (
        ("every reviewed order", ws),
        ("delivered orders", ws.within(segment="journey_attribute:order_status=delivered")),
    ):
        result = view.drivers("rating", target="low:2", scope=None, exclude=EXCLUDE)
        m = result.model
        print(
            f"\ndrivers of 1-2 star reviews, {title}: {m['journeys']:,} orders, "
            f"{m['target_mean']:.1%} with 1-2 stars, pseudo R² {m['r2']:.2f}"
        )
        for r in result.top(6):
            print(
                f"  {r['rank']}. {r['label']:<28} effect {r['effect']:+.2f} "
                f"[{r['effect_ci_low']:+.2f}, {r['effect_ci_high']:+.2f}] per SD, "
                f"odds ratio {r['odds_ratio']:.2f} per unit; 1-2 stars "
                f"{r['mean_with']:.1%} with ({r['split']}) vs {r['mean_without']:.1%} without, "
                f"lift {r['lift']:.2f}; e.g. {r['examples'][0] if r['examples'] else '-'}"
            )
    result.figure().write_html(root / "drivers.html", include_plotlyjs=True)
    ws.close()


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/olist_sample")
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("olist-ws")
    main(source, target)
