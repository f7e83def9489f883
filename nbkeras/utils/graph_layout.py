"""A small layered-graph layout (Sugiyama style) in pure Python, for ``plot_model``.

Steps: rank nodes by longest path, add dummy nodes on edges that skip ranks, order each
rank by barycenters (alternating sweeps), then place nodes along each rank, pulling them
toward their neighbours without overlap.  Good for the few hundred nodes of a model graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Box:
    """A node to place: its size along the rank axis (``depth``) and across it (``span``)."""

    key: str
    span: float
    depth: float
    rank: int = 0
    pos: float = 0.0  # centre across the rank axis
    level: float = 0.0  # centre along the rank axis
    dummy: bool = False


@dataclass
class Layout:
    """Placed boxes and edge routes (lists of (across, along) centre points)."""

    boxes: dict[str, Box]
    routes: list[tuple[str, str, list[tuple[float, float]]]] = field(default_factory=list)
    span: float = 0.0
    depth: float = 0.0


def _ranks(keys: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    preds: dict[str, list[str]] = {k: [] for k in keys}
    for a, b in edges:
        preds[b].append(a)
    rank: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(k: str) -> int:
        if k in rank:
            return rank[k]
        if k in visiting:  # a cycle: should not happen in a model graph
            return 0
        visiting.add(k)
        r = max((visit(p) + 1 for p in preds[k]), default=0)
        visiting.discard(k)
        rank[k] = r
        return r

    for k in keys:
        visit(k)
    return rank


def layout(
    boxes: list[Box],
    edges: list[tuple[str, str]],
    gap: float = 28.0,
    rank_gap: float = 42.0,
    sweeps: int = 8,
) -> Layout:
    """Place ``boxes`` in ranks so that every edge points to a later rank.

    Args:
        boxes: Nodes with their sizes (keys unique).
        edges: ``(source, target)`` pairs of keys.
        gap: Space between neighbours in a rank.
        rank_gap: Space between ranks.
        sweeps: Ordering passes (down and up).

    Returns:
        A :class:`Layout` with positions (top-left origin) and an edge route per edge.
    """
    by_key = {b.key: b for b in boxes}
    edges = [(a, b) for a, b in dict.fromkeys(edges) if a in by_key and b in by_key and a != b]
    rank = _ranks(list(by_key), edges)
    for k, r in rank.items():
        by_key[k].rank = r
    # dummy nodes on long edges
    chains: list[tuple[str, str, list[str]]] = []
    adj: list[tuple[str, str]] = []
    n_dummy = 0
    for a, b in edges:
        chain = [a]
        for r in range(rank[a] + 1, rank[b]):
            key = f"\0dummy{n_dummy}"
            n_dummy += 1
            by_key[key] = Box(key, span=2.0, depth=0.0, rank=r, dummy=True)
            chain.append(key)
        chain.append(b)
        adj.extend(zip(chain, chain[1:]))
        chains.append((a, b, chain))
    n_ranks = max((b.rank for b in by_key.values()), default=-1) + 1
    levels: list[list[str]] = [[] for _ in range(n_ranks)]
    for k, b in by_key.items():  # insertion order: model order is a good start
        levels[b.rank].append(k)
    up: dict[str, list[str]] = {k: [] for k in by_key}
    down: dict[str, list[str]] = {k: [] for k in by_key}
    for a, b in adj:
        down[a].append(b)
        up[b].append(a)

    def order_by(level: list[str], nbrs: dict, ref: list[str]) -> list[str]:
        idx = {k: i for i, k in enumerate(ref)}
        cur = {k: i for i, k in enumerate(level)}

        def bary(k):
            ns = [idx[n] for n in nbrs[k] if n in idx]
            return sum(ns) / len(ns) if ns else cur[k]

        return sorted(level, key=lambda k: (bary(k), cur[k]))

    for s in range(sweeps):
        if s % 2 == 0:
            for r in range(1, n_ranks):
                levels[r] = order_by(levels[r], up, levels[r - 1])
        else:
            for r in range(n_ranks - 2, -1, -1):
                levels[r] = order_by(levels[r], down, levels[r + 1])
    # positions across ranks: pack, then relax toward neighbours
    for level in levels:
        x = 0.0
        for k in level:
            b = by_key[k]
            b.pos = x + b.span / 2
            x += b.span + gap
    for it in range(12):
        for r in range(n_ranks) if it % 2 == 0 else range(n_ranks - 1, -1, -1):
            level = levels[r]
            want = []
            for k in level:
                ns = up[k] + down[k]
                want.append(sum(by_key[n].pos for n in ns) / len(ns) if ns else by_key[k].pos)
            # place left to right at desired positions, then push apart, then re-centre
            pos = list(want)
            for i in range(1, len(level)):
                lo = pos[i - 1] + (by_key[level[i - 1]].span + by_key[level[i]].span) / 2 + gap
                pos[i] = max(pos[i], lo)
            shift = sum(w - p for w, p in zip(want, pos)) / max(len(pos), 1)
            for i, k in enumerate(level):
                by_key[k].pos = pos[i] + shift
    # normalise: smallest left edge at 0
    left = min((b.pos - b.span / 2 for b in by_key.values()), default=0.0)
    for b in by_key.values():
        b.pos -= left
    span = max((b.pos + b.span / 2 for b in by_key.values()), default=0.0)
    # rank levels
    y = 0.0
    for level in levels:
        depth = max((by_key[k].depth for k in level), default=0.0)
        for k in level:
            by_key[k].level = y + depth / 2
            if by_key[k].dummy:  # route straight through the band: never across a box
                by_key[k].depth = depth
        y += depth + rank_gap
    out = Layout({k: b for k, b in by_key.items() if not b.dummy}, span=span,
                 depth=max(y - rank_gap, 0.0))
    for a, b, chain in chains:
        pts = []
        for k in chain:
            d = by_key[k]
            if d.dummy:
                pts += [(d.pos, d.level - d.depth / 2), (d.pos, d.level + d.depth / 2)]
            else:
                pts.append((d.pos, d.level))
        out.routes.append((a, b, pts))
    return out
