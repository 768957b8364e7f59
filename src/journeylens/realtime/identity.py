"""Incremental identity stitching for the live path: union-find over identifier nodes.

The nodes are those of batch stitching (`journeylens.identity.graph`): ``<rank><type>:<value>``,
the rank digit ordering identifier types (customer id first, cookie last, a source journey key
as the identifier of last resort). Every identifier of one event joins one component, and a
component's customer key is its smallest node without the rank digit, exactly as
`journeylens.identity.stitch` names it. The root of each component *is* its smallest node (a
union always hangs the larger root under the smaller), so a key is one ``find`` away.

Seeded from the built ``identity`` table, the live keys equal the keys a build over the same
events would give; an event that links two customers merges them under the smaller key and
reports the key that disappeared, so the caller can merge what it keeps per customer.

Examples
--------
>>> ids = IncrementalIdentity()
>>> ids.observe({"cookie_id": "ck-9"})
('cookie_id:ck-9', ())
>>> ids.observe({"email": "ann@example.com"})
('email:ann@example.com', ())
>>> ids.observe({"customer_id": "C7", "cookie_id": "ck-9", "email": "ann@example.com"})
('customer_id:C7', ('email:ann@example.com', 'cookie_id:ck-9'))
>>> ids.customer_key("ck-9"), ids.customer_key("email:ann@example.com")
('customer_id:C7', 'customer_id:C7')
>>> ids.identifiers("customer_id:C7")
[('customer_id', 'C7'), ('email', 'ann@example.com'), ('cookie_id', 'ck-9')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import pyarrow as pa

from journeylens.identity.graph import NODE_FIELDS
from journeylens.identity.stitch import IDENTITY_TABLE

if TYPE_CHECKING:
    from journeylens.store.backends import Backend

#: ``<rank><type>:`` of every identifier type (node = prefix + value).
PREFIX: dict[str, str] = {name: f"{rank}{name}:" for rank, name in enumerate(NODE_FIELDS, 1)}
_JOURNEY_KEY_PREFIX = PREFIX["journey_key"]


def node_of(id_type: str, value: str) -> str:
    """The node of an identifier.

    Examples
    --------
    >>> node_of("email", "ann@example.com")
    '3email:ann@example.com'
    """
    return PREFIX[id_type] + value


class IncrementalIdentity:
    """Customer keys of identifiers, updated one event at a time.

    ``_parent`` maps every node to its parent (a root maps to itself); ``_members`` lists the
    nodes of each component with more than one node, by root (singletons are not listed, to
    keep a million one-cookie visitors cheap).
    """

    __slots__ = ("_members", "_parent", "merges")

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._members: dict[str, list[str]] = {}
        #: Components merged by live events so far.
        self.merges = 0

    # -- seeding ------------------------------------------------------------------------------

    @classmethod
    def from_table(cls, table: pa.Table) -> IncrementalIdentity:
        """Seed from an ``identity`` table (columns ``node`` and ``label``)."""
        ids = cls()
        nodes = table.column("node").to_pylist()
        labels = table.column("label").to_pylist()
        ids._parent = dict(zip(nodes, labels, strict=True))
        for label in labels:  # a label is a node of its own component, but be safe
            ids._parent.setdefault(label, label)
        members: dict[str, list[str]] = {}
        for node, label in zip(nodes, labels, strict=True):
            if node != label:
                members.setdefault(label, [label]).append(node)
        ids._members = members
        return ids

    @classmethod
    def from_backend(cls, backend: Backend) -> IncrementalIdentity:
        """Seed from the workspace's built ``identity`` table (empty when not built yet)."""
        if not backend.has_table(IDENTITY_TABLE):
            return cls()
        identity = backend.table(IDENTITY_TABLE)
        return cls.from_table(backend.to_arrow(identity.select("node", "label")))

    # -- union-find ---------------------------------------------------------------------------

    def _find(self, node: str) -> str:
        parent = self._parent
        up = parent[node]
        if up is node:
            return node
        while up != node:
            top = parent[up]
            if top == up:
                return up
            parent[node] = top  # path halving
            node, up = top, parent[top]
        return node

    def _union(self, roots: Iterable[str]) -> tuple[str, tuple[str, ...]]:
        ordered = sorted(set(roots))
        root, absorbed = ordered[0], ordered[1:]
        members = self._members.pop(root, [root])
        for other in absorbed:
            self._parent[other] = root
            members.extend(self._members.pop(other, [other]))
        self._members[root] = members
        self.merges += len(absorbed)
        return root, tuple(key[1:] for key in absorbed)

    def observe(
        self, identifiers: Mapping[str, str], journey_key: str | None = None
    ) -> tuple[str, tuple[str, ...]]:
        """Add an event's identifiers; its customer key and the keys merged into it.

        A source journey key is a node too (ranked last), linked to the event's other
        identifiers, as in batch stitching.
        """
        parent = self._parent
        if journey_key is None and len(identifiers) == 1:
            for name, value in identifiers.items():  # the common case: one identifier
                if not value:
                    break
                node = PREFIX[name] + value
                if node in parent:
                    return self._find(node)[1:], ()
                parent[node] = node
                return node[1:], ()
        nodes = [PREFIX[name] + value for name, value in identifiers.items() if value]
        if journey_key:
            nodes.append(_JOURNEY_KEY_PREFIX + journey_key)
        if not nodes:
            raise ValueError("an event needs at least one identifier or a journey key")
        roots = set()
        for node in nodes:
            if node not in parent:
                parent[node] = node
                roots.add(node)
            else:
                roots.add(self._find(node))
        if len(roots) == 1:
            return roots.pop()[1:], ()
        root, absorbed = self._union(roots)
        return root[1:], absorbed

    # -- reading ------------------------------------------------------------------------------

    def lookup(self, identifiers: Mapping[str, str]) -> str | None:
        """The customer key of the highest-ranked known identifier, without adding any."""
        best: str | None = None
        for name, value in identifiers.items():
            prefix = PREFIX.get(name)
            if prefix is None or not value:
                continue
            node = prefix + value
            if node in self._parent and (best is None or node < best):
                best = node
        return None if best is None else self._find(best)[1:]

    def customer_key(self, identifier: str) -> str | None:
        """The customer key of any identifier: typed (``email:ann@…``), a customer key (the
        same form) or a bare value (the highest-ranked type that knows it); None if unknown."""
        id_type, sep, value = identifier.partition(":")
        if sep and id_type in PREFIX:
            node = PREFIX[id_type] + value
            if node in self._parent:
                return self._find(node)[1:]
        for prefix in PREFIX.values():
            node = prefix + identifier
            if node in self._parent:
                return self._find(node)[1:]
        return None

    def identifiers(self, identifier: str) -> list[tuple[str, str]]:
        """Every ``(type, value)`` of the customer of any identifier or customer key, in rank
        order (empty when unknown)."""
        key = self.customer_key(identifier)
        if key is None:
            return []
        id_type, _, value = key.partition(":")
        root = self._find(PREFIX[id_type] + value)
        pairs = []
        for member in sorted(self._members.get(root, [root])):
            kind, _, text = member[1:].partition(":")
            pairs.append((kind, text))
        return pairs

    @property
    def nodes(self) -> int:
        """Identifiers known."""
        return len(self._parent)

    def __contains__(self, node: object) -> bool:
        return node in self._parent
