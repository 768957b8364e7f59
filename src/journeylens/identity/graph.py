"""The identifier graph of events, as Ibis expressions.

A node is one identifier, written ``<rank><type>:<value>`` where the rank digit orders identifier
types by how much they say about a person (customer id first, cookie last). Two identifiers that
occur on the same event are joined by an edge. The smallest node of a connected component names
the customer, so a customer key prefers the customer id, is readable, and is the same on every
engine: ``customer_id:C000123``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from journeylens.store.schema import IDENTIFIER_FIELDS

#: Identifier columns of events in rank order; a source journey key is the identifier of last
#: resort (process logs often know no customer, only the case).
NODE_FIELDS: tuple[str, ...] = (*IDENTIFIER_FIELDS, "journey_key")


def node_of(id_type: str, value: ir.StringValue) -> ir.StringValue:
    """The node text of an identifier column value (null stays null)."""
    rank = NODE_FIELDS.index(id_type) + 1
    return ibis.literal(f"{rank}{id_type}:") + value


def primary_node(events: ir.Table) -> ir.StringValue:
    """The node of an event's highest-ranked identifier."""
    return ibis.coalesce(*[node_of(name, events[name]) for name in NODE_FIELDS])


def identifier_columns(events: ir.Table) -> list[str]:
    """Identifier columns present on ``events``."""
    return [name for name in NODE_FIELDS if name in events.columns]


def edges(events: ir.Table) -> ir.Table:
    """Distinct edges ``(src, dst)`` from each event's primary node to its other identifiers.

    A star per event is enough for connectivity and keeps the edge count linear.
    """
    with_primary = events.mutate(_src=primary_node(events))
    parts = []
    for name in identifier_columns(events):
        part = with_primary.filter(with_primary[name].notnull()).select(
            src=with_primary._src, dst=node_of(name, with_primary[name])
        )
        parts.append(part.filter(part.src != part.dst))
    return ibis.union(*parts, distinct=True)


def nodes(events: ir.Table) -> ir.Table:
    """Distinct nodes of every identifier present on ``events``."""
    parts = [
        events.filter(events[name].notnull()).select(node=node_of(name, events[name]))
        for name in identifier_columns(events)
    ]
    return ibis.union(*parts, distinct=True)


def split_node(table: ir.Table, column: str = "node") -> ir.Table:
    """Add ``id_type``/``id_value`` parsed back from a node column."""
    text = table[column].substr(1)  # drop the rank digit
    cut = text.find(":")
    return table.mutate(id_type=text.substr(0, cut), id_value=text.substr(cut + 1))


def strip_rank(node: ir.StringValue) -> ir.StringValue:
    """A node without its rank digit: the customer key."""
    return node.substr(1)
