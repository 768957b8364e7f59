"""Generate the demo world: a seeded, multichannel telecom / utility company on disk.

Customers are made in chunks; each chunk's journeys, background, events, feedback and truth
are generated together and written as row groups of Parquet parts, so memory stays flat from
ten thousand to tens of millions of events. The same seed and size give identical files.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     world = generate(Path(tmp), events=3_000, seed=1)
...     sorted(p.name for p in Path(tmp).iterdir())
['events', 'feedback', 'journey_maps.yaml', 'journeylens.demo.yaml', 'truth']
>>> 2_700 < world.events < 3_300 and world.customers > 50
True
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from journeylens.demo.background import background
from journeylens.demo.events import EVENT_SCHEMA, build_events, journey_facts
from journeylens.demo.feedback import FEEDBACK_SCHEMA, build_feedback
from journeylens.demo.identities import Customers, Offsets, identity_truth
from journeylens.demo.maps import config, journey_maps
from journeylens.demo.schedule import plan, walk_journeys

#: Customers per chunk: about 25 thousand events a year's window; bounds the memory in use.
CHUNK_CUSTOMERS = 800
#: Events (and feedback records) per Parquet part before the next part is started.
PART_ROWS = 250_000
#: First estimate of events per customer and year; refined from the chunks written.
EVENTS_PER_CUSTOMER_YEAR = 26.0
#: Parquet compression of every file written.
COMPRESSION = "zstd"


@dataclass(frozen=True)
class DemoWorld:
    """What `generate` wrote, and how much of it.

    Attributes
    ----------
    out_dir, events_dir, feedback_dir, truth_dir : Path
        The world and its parts (``events/part-00000.parquet`` …, ``truth/*.parquet``).
    journey_maps_path, config_path : Path
        ``journey_maps.yaml`` (designed journeys) and ``journeylens.demo.yaml`` (the
        ``journeys`` section that cuts the true journeys).
    seed, requested_events : int
        As asked.
    events, feedback, customers, journeys, parts : int
        As written (``events`` is within a few percent of ``requested_events``).
    """

    out_dir: Path
    events_dir: Path
    feedback_dir: Path
    truth_dir: Path
    journey_maps_path: Path
    config_path: Path
    seed: int
    requested_events: int
    events: int
    feedback: int
    customers: int
    journeys: int
    parts: int


class _Parts:
    """Parquet parts ``part-00000.parquet`` … in a directory, one row group per write."""

    def __init__(self, directory: Path, schema: pa.Schema, rows_per_part: int) -> None:
        self.directory = directory
        self.schema = schema
        self.rows_per_part = rows_per_part
        self.count = 0
        self._rows = 0
        self._writer: pq.ParquetWriter | None = None
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("part-*.parquet"):
            stale.unlink()

    def write(self, table: pa.Table) -> None:
        if self._writer is None or self._rows >= self.rows_per_part:
            self.close()
            path = self.directory / f"part-{self.count:05d}.parquet"
            self._writer = pq.ParquetWriter(path, self.schema, compression=COMPRESSION)
            self.count += 1
            self._rows = 0
        self._writer.write_table(table)
        self._rows += table.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _epoch(start: str) -> int:
    moment = datetime.fromisoformat(start)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@dataclass(frozen=True)
class _Chunk:
    events: pa.Table
    event_truth: pa.Table
    facts: pa.Table
    feedback: pa.Table
    feedback_truth: pa.Table
    identities: pa.Table


def _chunk(
    index: int, customers: int, seed: int, days: int, epoch: int, offsets: Offsets
) -> _Chunk:
    """Everything about ``customers`` new customers; ``offsets`` move past them."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
    people = Customers.make(rng, offsets, customers, days)
    planned = plan(rng, people, days)
    batch = walk_journeys(random.Random(int(rng.integers(0, 2**63))), planned, people, days)
    noise = background(rng, people, days)
    ev = build_events(rng, people, batch, noise, days, epoch, offsets)
    fb = build_feedback(rng, ev, people, days, epoch, offsets)
    return _Chunk(
        events=ev.table,
        event_truth=ev.truth,
        facts=journey_facts(ev, people, epoch),
        feedback=fb.table,
        feedback_truth=fb.truth,
        identities=identity_truth(people, [fb.carried], ev.carried),
    )


def generate(
    out_dir: Path,
    events: int = 50_000,
    seed: int = 7,
    start: str = "2025-01-01",
    days: int = 365,
    progress: Callable[[int], None] | None = None,
) -> DemoWorld:
    """Write a demo world of about ``events`` events into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Created if missing; parts of an earlier world there are replaced.
    events : int
        Target number of events; the result is within a few percent.
    seed : int
        The same seed, size, start and days give identical data.
    start : str
        ISO date (or date-time, UTC when naive) of the first day of the window.
    days : int
        Length of the window in days.
    progress : callable, optional
        Called with the number of events written so far after each chunk.

    Returns
    -------
    DemoWorld
        Paths and counts of what was written.
    """
    if events < 1:
        raise ValueError("events must be at least 1")
    if days < 1:
        raise ValueError("days must be at least 1")
    epoch = _epoch(start)
    out_dir = Path(out_dir)
    truth_dir = out_dir / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    events_out = _Parts(out_dir / "events", EVENT_SCHEMA, PART_ROWS)
    feedback_out = _Parts(out_dir / "feedback", FEEDBACK_SCHEMA, PART_ROWS)
    truth_writers: dict[str, pq.ParquetWriter] = {}

    def write_truth(name: str, table: pa.Table) -> None:
        if name not in truth_writers:
            truth_writers[name] = pq.ParquetWriter(
                truth_dir / f"{name}.parquet", table.schema, compression=COMPRESSION
            )
        truth_writers[name].write_table(table)

    offsets = Offsets()
    rate = EVENTS_PER_CUSTOMER_YEAR * days / 365.0
    index = 0
    try:
        while offsets.events < events:
            remaining = events - offsets.events
            if index > 0 and remaining < rate / 2:
                break
            wanted = remaining / rate if index > 0 else remaining / rate / 2  # first: a probe
            customers = int(min(CHUNK_CUSTOMERS, max(1, round(wanted))))
            chunk = _chunk(index, customers, seed, days, epoch, offsets)
            events_out.write(chunk.events)
            feedback_out.write(chunk.feedback)
            write_truth("journeys", chunk.event_truth)
            write_truth("journey_facts", chunk.facts)
            write_truth("feedback", chunk.feedback_truth)
            write_truth("identities", chunk.identities)
            del chunk
            index += 1
            rate = max(offsets.events / offsets.customers, 1.0)
            if progress is not None:
                progress(offsets.events)
    finally:
        events_out.close()
        feedback_out.close()
        for writer in truth_writers.values():
            writer.close()

    maps_path = out_dir / "journey_maps.yaml"
    maps_path.write_text(yaml.safe_dump(journey_maps(), sort_keys=False), encoding="utf-8")
    config_path = out_dir / "journeylens.demo.yaml"
    config_path.write_text(yaml.safe_dump({"journeys": config()}, sort_keys=False), "utf-8")
    return DemoWorld(
        out_dir=out_dir,
        events_dir=out_dir / "events",
        feedback_dir=out_dir / "feedback",
        truth_dir=truth_dir,
        journey_maps_path=maps_path,
        config_path=config_path,
        seed=seed,
        requested_events=events,
        events=offsets.events,
        feedback=offsets.feedback,
        customers=offsets.customers,
        journeys=offsets.journeys,
        parts=events_out.count,
    )


__all__ = ["DemoWorld", "generate"]
