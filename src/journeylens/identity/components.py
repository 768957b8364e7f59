"""Connected components of the identifier graph, labelled by their smallest node.

Two strategies with one result: `LocalComponents` collects the (much reduced) graph and runs
scipy's sparse connected components; `PropagatedComponents` runs iterative min-label
propagation as Ibis expressions, for engines where the graph does not fit one machine.
"""

from __future__ import annotations

from typing import Protocol

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from journeylens.store.backends import Backend


class Components(Protocol):
    """Labels every node with the smallest node of its component."""

    def __call__(self, backend: Backend, nodes: ir.Table, edges: ir.Table) -> ir.Table:
        """``nodes`` (column ``node``) and ``edges`` (``src``, ``dst``) to ``(node, label)``."""
        ...


def label_arrays(nodes: pa.Array, src: pa.Array, dst: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Nodes and the smallest node of their component, computed in memory.

    Examples
    --------
    >>> n, l = label_arrays(pa.array(["b", "a", "c", "d"]), pa.array(["b"]), pa.array(["a"]))
    >>> dict(zip(n.to_pylist(), l.to_pylist()))
    {'a': 'a', 'b': 'a', 'c': 'c', 'd': 'd'}
    """
    universe = pc.unique(pa.chunked_array([nodes, src, dst], pa.string()).combine_chunks())
    universe = universe.take(pc.sort_indices(universe))
    size = len(universe)
    si = pc.index_in(src, value_set=universe).to_numpy(zero_copy_only=False)
    di = pc.index_in(dst, value_set=universe).to_numpy(zero_copy_only=False)
    graph = coo_matrix((np.ones(len(si), dtype=np.int8), (si, di)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    # universe is sorted, so the first index of each label is the component's smallest node.
    _, first = np.unique(labels, return_index=True)
    smallest = np.empty(labels.max() + 1 if size else 0, dtype=np.int64)
    smallest[labels[first]] = first
    return universe, universe.take(pa.array(smallest[labels]))


class LocalComponents:
    """scipy connected components on the collected graph."""

    def __call__(self, backend: Backend, nodes: ir.Table, edges: ir.Table) -> ir.Table:
        node_values = backend.to_arrow(nodes).column("node").combine_chunks()
        edge_table = backend.to_arrow(edges)
        universe, labels = label_arrays(
            node_values,
            edge_table.column("src").combine_chunks(),
            edge_table.column("dst").combine_chunks(),
        )
        return ibis.memtable(pa.table({"node": universe, "label": labels}))


class PropagatedComponents:
    """Iterative min-label propagation, materialised each round, until nothing changes.

    Rounds grow with the graph's diameter, which stays small because each event links its
    identifiers as a star.
    """

    def __init__(self, max_rounds: int = 100) -> None:
        self.max_rounds = max_rounds

    def __call__(self, backend: Backend, nodes: ir.Table, edges: ir.Table) -> ir.Table:
        both = ibis.union(
            edges.select("src", "dst"), edges.select(src=edges.dst, dst=edges.src), distinct=True
        )
        both = backend.materialise("_identity_edges", both)
        names = ("_identity_labels_a", "_identity_labels_b")
        every = ibis.union(nodes.select("node"), both.select(node=both.src), distinct=True)
        labels = backend.materialise(names[0], every.mutate(label=every.node))
        for round_no in range(1, self.max_rounds + 1):
            moved = both.join(labels, both.src == labels.node).select(
                node=both.dst, label=labels.label
            )
            candidates = ibis.union(labels.select("node", "label"), moved)
            nxt = candidates.group_by("node").aggregate(label=candidates.label.min())
            nxt = backend.materialise(names[round_no % 2], nxt)
            joined = nxt.join(labels, "node")
            changed = int(backend.scalar(joined.filter(joined.label != joined.label_right).count()))
            labels = nxt
            if changed == 0:
                return labels
        raise RuntimeError(f"identity labels did not settle in {self.max_rounds} rounds")
