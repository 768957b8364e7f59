"""Identity stitching: every identifier resolves to one customer key.

Incremental: only events newer than the last stitch are read; the customers they touch are
re-labelled together with the new identifiers, everyone else keeps their row. The result equals
stitching everything again, because a component's label is its smallest node either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from journeylens.identity.components import Components, LocalComponents, PropagatedComponents
from journeylens.identity.graph import edges, nodes, split_node, strip_rank
from journeylens.store.backends import Backend

IDENTITY_TABLE = "identity"


@dataclass(frozen=True)
class StitchResult:
    """What a stitch did."""

    identifiers: int
    customers: int
    new_events: int
    incremental: bool
    last_seq: int


def components_for(backend: Backend) -> Components:
    """The component strategy that suits the engine."""
    return LocalComponents() if backend.prefers_local_graph else PropagatedComponents()


def _identity_rows(labels: ir.Table) -> ir.Table:
    table = split_node(labels)
    return table.select(
        "node", "id_type", "id_value", customer_key=strip_rank(table.label), label=table.label
    )


def stitch(
    backend: Backend, since_seq: int = 0, components: Components | None = None
) -> StitchResult:
    """Resolve the identifiers of events with ``seq > since_seq`` into the identity table.

    Parameters
    ----------
    backend : Backend
        The workspace engine; reads ``events`` and writes ``identity``.
    since_seq : int
        Events up to this sequence number were stitched before; 0 stitches everything.
    components : Components, optional
        The component strategy; by default the one the engine prefers.
    """
    components = components or components_for(backend)
    events = backend.table("events")
    last_seq = int(backend.scalar(events.seq.max()) or 0)
    incremental = since_seq > 0 and backend.has_table(IDENTITY_TABLE)
    fresh = events.filter(events.seq > since_seq) if incremental else events
    new_events = int(backend.scalar(fresh.count()))
    if incremental and new_events == 0:
        return _result(backend, 0, True, last_seq)
    if not incremental:
        labels = components(backend, nodes(fresh), edges(fresh))
        backend.materialise(IDENTITY_TABLE, _identity_rows(labels))
        return _result(backend, new_events, False, last_seq)

    identity = backend.table(IDENTITY_TABLE)
    new_nodes = backend.materialise("_identity_new_nodes", nodes(fresh))
    touched = identity.semi_join(new_nodes, "node").select("label").distinct()
    affected = identity.semi_join(touched, "label")
    graph_nodes = ibis.union(new_nodes, affected.select("node"), distinct=True)
    graph_edges = ibis.union(
        edges(fresh),
        affected.filter(affected.node != affected.label).select(
            src=affected.node, dst=affected.label
        ),
        distinct=True,
    )
    labels = components(backend, graph_nodes, graph_edges)
    kept = identity.anti_join(touched, "label")
    updated = ibis.union(kept, _identity_rows(labels).cast(kept.schema()))
    staged = backend.materialise("_identity_next", updated)
    backend.materialise(IDENTITY_TABLE, staged)
    backend.drop("_identity_next")
    backend.drop("_identity_new_nodes")
    return _result(backend, new_events, True, last_seq)


def _result(backend: Backend, new_events: int, incremental: bool, last_seq: int) -> StitchResult:
    identity = backend.table(IDENTITY_TABLE)
    counts = backend.to_arrow(
        identity.aggregate(identifiers=identity.count(), customers=identity.label.nunique())
    ).to_pylist()[0]
    return StitchResult(
        identifiers=int(counts["identifiers"]),
        customers=int(counts["customers"]),
        new_events=new_events,
        incremental=incremental,
        last_seq=last_seq,
    )


def resolve(backend: Backend, identifier: str) -> list[str]:
    """The customer keys that an identifier names (normally one; empty when unknown).

    ``identifier`` may be a bare value (``C000123``), typed (``email:ann@example.com``), or a
    customer key itself. A bare value shared by two identifier types may name two customers.
    """
    if not backend.has_table(IDENTITY_TABLE):
        return []
    identity = backend.table(IDENTITY_TABLE)
    id_type, sep, value = identifier.partition(":")
    condition = (identity.customer_key == identifier) | (identity.id_value == identifier)
    if sep:
        condition |= (identity.id_type == id_type) & (identity.id_value == value)
    found = backend.to_arrow(identity.filter(condition).select("customer_key").distinct())
    return sorted(found.column("customer_key").to_pylist())
