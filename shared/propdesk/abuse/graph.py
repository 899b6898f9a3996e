"""Connected components of a graph given by its edges (union-find with path halving and union by size)."""

from __future__ import annotations

from collections.abc import Iterable


def components(edges: Iterable[tuple[str, str]]) -> list[set[str]]:
    """The groups of nodes joined by the edges, largest first (ties in node order)."""
    parent: dict[str, str] = {}
    size: dict[str, int] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        size.setdefault(node, 1)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for first, second in edges:
        root_a, root_b = find(first), find(second)
        if root_a == root_b:
            continue
        if size[root_a] < size[root_b]:
            root_a, root_b = root_b, root_a
        parent[root_b] = root_a
        size[root_a] += size[root_b]
    groups: dict[str, set[str]] = {}
    for node in parent:
        groups.setdefault(find(node), set()).add(node)
    return sorted(groups.values(), key=lambda group: (-len(group), min(group)))
