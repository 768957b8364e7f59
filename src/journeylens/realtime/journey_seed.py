"""Seeding a live core with the journeys of the workspace's last build.

So that live events continue history rather than restart it:

- the journey counters of every stream (``<customer>/<definition or gap>``): a journey started
  live gets the number a build over history + live events would give it;
- the open journeys (status ``open``): their steps are fed through the journey tracker (not
  through the rules), so their measures, stage and SLA are those of the built journey and the
  next live event extends them.

Rule state (windows, sequences, timers) is not seeded: rules see live records only. Replay
(`journeylens.realtime.rules.replay`) starts from nothing instead and feeds all of history.

Examples
--------
>>> import tempfile, pathlib, journeylens
>>> from journeylens.realtime.core import LiveCore
>>> from journeylens.realtime.rules.ruleset import RuleSet
>>> root = pathlib.Path(tempfile.mkdtemp()) / "ws"
>>> ws = journeylens.init(root)
>>> csv = root / "e.csv"
>>> _ = csv.write_text("customer_id,ts,channel,activity\\nC1,2025-01-02T10:00:00Z,web,login\\n")
>>> _ = ws.ingest(csv); _ = ws.build()
>>> core = LiveCore.from_workspace(ws, RuleSet.empty(), history=False)
>>> seed_history(core, ws.backend)  # the one journey is still open at the build's as-of time
1
>>> [j.journey_key for j in core.open_journeys("C1")]
['customer_id:C1/gap/1']
>>> ws.close()
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

import ibis

from journeylens.journeys import JOURNEYS_TABLE, STEPS_TABLE
from journeylens.journeys.segment import CUT_DEFINITION, CUT_GAP, CUT_SOURCE
from journeylens.realtime.records import LiveEvent

if TYPE_CHECKING:
    from journeylens.realtime.core import LiveCore
    from journeylens.store.backends import Backend


def seed_history(core: LiveCore, backend: Backend) -> int:
    """Load counters and open journeys of the built tables into ``core``; open journeys seeded.

    Does nothing on a workspace that was never built.
    """
    if not (backend.has_table(JOURNEYS_TABLE) and backend.has_table(STEPS_TABLE)):
        return 0
    journeys = backend.table(JOURNEYS_TABLE)
    cut = journeys.filter(journeys.cut != CUT_SOURCE)
    stream = ibis.cases((cut.cut == CUT_DEFINITION, cut.journey_type), else_=ibis.literal(CUT_GAP))
    counts = backend.to_arrow(
        cut.group_by(customer_key=cut.customer_key, stream=stream).aggregate(n=cut.count())
    )
    counters = core._counters
    for key, name, n in zip(
        counts.column("customer_key").to_pylist(),
        counts.column("stream").to_pylist(),
        counts.column("n").to_pylist(),
        strict=True,
    ):
        counters.setdefault(key, {})[name] = int(n)

    steps = backend.table(STEPS_TABLE)
    open_keys = journeys.filter(journeys.status == "open").select("journey_key")
    rows = backend.to_arrow(
        steps.semi_join(open_keys, "journey_key")
        .select(
            "journey_key",
            "customer_key",
            "cut",
            "definition",
            "event_id",
            "ts",
            "seq",
            "channel",
            "activity",
            "initiator",
            "topic",
            "outcome",
        )
        .order_by(["customer_key", "journey_key", "ts", "seq"])
    ).to_pylist()
    seeded = 0
    current = None
    for row in rows:
        key = row["customer_key"]
        customer = core._customer(key, row["ts"].timestamp())
        if row["journey_key"] != current:
            current = row["journey_key"]
            seeded += 1
            if row["cut"] != CUT_SOURCE:  # its first step numbers it again
                name = row["definition"] or CUT_GAP
                customer.book.counters[name] = customer.book.counters.get(name, 1) - 1
        event = LiveEvent(
            event_id=row["event_id"],
            ts=row["ts"].replace(tzinfo=UTC),
            identifiers={},
            channel=row["channel"],
            activity=row["activity"],
            initiator=row["initiator"],
            topic=row["topic"],
            outcome=row["outcome"],
            journey_key=row["journey_key"] if row["cut"] == CUT_SOURCE else None,
            seq=row["seq"],
        )
        core.tracker.observe(customer.book, key, event)
    return seeded
