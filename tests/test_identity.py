"""Identity stitching: connected components of co-occurring identifiers."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeylens
from journeylens.identity.components import label_arrays
from journeylens.store.schema import IDENTIFIER_FIELDS
from journeylens.workspace import Workspace


def _reference_partition(events: list[dict[str, str | None]]) -> set[frozenset[str]]:
    """Union-find over typed identifiers: the partition stitching must produce."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for event in events:
        ids = [f"{k}:{v}" for k, v in event.items() if k in IDENTIFIER_FIELDS and v is not None]
        for other in ids[1:]:
            parent[find(ids[0])] = find(other)
        for i in ids:
            find(i)
    groups: dict[str, set[str]] = {}
    for node in parent:
        groups.setdefault(find(node), set()).add(node)
    return {frozenset(g) for g in groups.values()}


def _partition(ws: Workspace) -> set[frozenset[str]]:
    rows = ws.backend.to_arrow(ws.backend.table("identity")).to_pylist()
    groups: dict[str, set[str]] = {}
    for row in rows:
        groups.setdefault(row["customer_key"], set()).add(f"{row['id_type']}:{row['id_value']}")
    return {frozenset(g) for g in groups.values()}


def _write(path: Path, events: list[dict[str, str | None]]) -> Path:
    columns = {name: [e.get(name) for e in events] for name in IDENTIFIER_FIELDS}
    columns["ts"] = [f"2025-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z" for i in range(len(events))]
    columns["activity"] = ["visit"] * len(events)
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)
    return path


identifier_values = st.sampled_from([f"v{i}" for i in range(12)])
event_strategy = st.fixed_dictionaries(
    {},
    optional={name: identifier_values for name in IDENTIFIER_FIELDS[:4]},
).filter(lambda e: len(e) > 0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(event_strategy, min_size=1, max_size=40), split=st.integers(0, 40))
def test_stitching_matches_union_find_and_incremental_equals_full(
    events: list[dict[str, str | None]], split: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        split = min(split, len(events))
        ws = journeylens.init(root / "inc")
        first, second = events[:split], events[split:]
        if first:
            ws.ingest(_write(root / "a.parquet", first))
            ws.build()
        if second:
            ws.ingest(_write(root / "b.parquet", second))
            result = ws.build()
            assert result.identity.incremental == bool(first)
        incremental = _partition(ws)
        ws.close()
        full_ws = journeylens.init(root / "full")
        full_ws.ingest(_write(root / "all.parquet", events))
        full_ws.build()
        full = _partition(full_ws)
        keys = {
            r["customer_key"]
            for r in full_ws.backend.to_arrow(full_ws.backend.table("identity")).to_pylist()
        }
        full_ws.close()
    assert full == _reference_partition(events)
    assert incremental == full
    # The key names the component's best identifier: customer ids first, then the smallest value.
    for group in full:
        best = min(group, key=lambda n: (IDENTIFIER_FIELDS.index(n.split(":")[0]), n))
        assert best in keys


def test_label_arrays_labels_by_smallest_node() -> None:
    nodes, labels = label_arrays(
        pa.array(["3x", "1a", "2b", "4z"]), pa.array(["3x", "2b"]), pa.array(["2b", "3x"])
    )
    assert dict(zip(nodes.to_pylist(), labels.to_pylist(), strict=True)) == {
        "1a": "1a",
        "2b": "2b",
        "3x": "2b",
        "4z": "4z",
    }


def test_customer_lookup_by_any_identifier(ws: Workspace, tmp_path: Path) -> None:
    csv = tmp_path / "e.csv"
    csv.write_text(
        "customer_id,email,cookie_id,ts,channel,activity\n"
        "C1,,,2025-01-01T10:00:00Z,phone,call\n"
        "C1,ann@example.com,,2025-01-02T10:00:00Z,email,mail_in\n"
        ",,ck-9,2025-01-03T10:00:00Z,web,browse\n"
        ",ann@example.com,ck-9,2025-01-03T10:05:00Z,web,login\n"
        "C2,,,2025-01-03T10:00:00Z,store,visit\n"
    )
    ws.ingest(csv)
    ws.build()
    assert ws.customer_key("ck-9") == "customer_id:C1"
    assert ws.customer_key("email:ann@example.com") == "customer_id:C1"
    assert ws.customer_key("C2") == "customer_id:C2"
    view = ws.customer("ck-9")
    assert view.timeline.to_pandas()["channel"].tolist() == ["phone", "email", "web", "web"]
    assert len(view.identifiers) == 3
