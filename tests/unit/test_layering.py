"""Imports run one way. The layering of `shared/propdesk`, written once, here (table `ALLOWED` below):

    money, engine         pure arithmetic and the risk engine: the engine imports only itself and money
    kernel                what every layer shares: domain errors, roles and permissions, records, domain
                          events, ports (Protocols), pure helpers (IP prefix tables too), logging, generic
                          resilience, the partial-batch wrapper of stream and queue functions
    domain packages       pure rules and their use cases (payouts, purchases, ...): kernel and engine only
    services              use cases over ports: never data/, adapters/ or http/
    data, adapters        implementations of ports (DynamoDB, AWS, providers): never services/ or http/
    http                  the REST/WebSocket edge: may use services (never data/ or adapters/ directly)
    wiring, config,       composition: production dependencies, settings, the console command
    commands, cli

Nothing under `shared/` imports `functions/`, `infra/`, `scripts/`, `fakes/`, `benchmarks/` or `tests/`.
The test walks every import (at module level, in functions and under TYPE_CHECKING alike) and fails on an
edge that the table does not allow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"

KERNEL = frozenset(
    {
        "money",
        "errors",
        "access",
        "records",
        "domain_events",
        "ports",
        "leaderboards",
        "observability",
        "resilience",
        "batches",
        "ip_prefixes",
    }
)
DOMAIN = frozenset(
    {"engine", "payouts", "purchases", "realtime", "catalogue", "platforms", "kyc", "rails", "abuse", "life"}
    | {"mail"}
)
SERVICES = frozenset({"services"})
OUTER = frozenset({"data", "adapters"})
EDGE = frozenset({"http"})
COMPOSITION = frozenset({"wiring", "config", "commands", "cli"})

# package (first name under propdesk) -> the packages it may import
ALLOWED: dict[str, frozenset[str]] = {
    "money": frozenset(),
    "engine": frozenset({"money"}),
    **{name: KERNEL for name in KERNEL},
    **{name: KERNEL | DOMAIN for name in DOMAIN - {"engine"}},
    "services": KERNEL | DOMAIN | SERVICES,
    "data": KERNEL | DOMAIN | {"data"},
    "adapters": KERNEL | DOMAIN | {"adapters"},
    "http": KERNEL | DOMAIN | SERVICES | EDGE,
    **{name: KERNEL | DOMAIN | SERVICES | OUTER | EDGE | COMPOSITION for name in COMPOSITION},
}
OUTSIDE_SHARED = ("functions", "infra", "scripts", "fakes", "benchmarks", "tests")


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted((SHARED / "propdesk").rglob("*.py")):
        parts = path.relative_to(SHARED).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every import of the module, in source order."""
    return sorted(_walk_imports(ast.parse(path.read_text(encoding="utf-8"))))


def _walk_imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            if node.module == "propdesk":
                for alias in node.names:
                    yield node.lineno, f"propdesk.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def forbidden_edges() -> list[str]:
    found = []
    for name, path in _modules():
        source = _package(name)
        allowed = ALLOWED.get(source)
        for line, imported in _imports(path):
            where = f"{path.relative_to(SHARED.parent)}:{line} {name} -> {imported}"
            if imported.split(".")[0] in OUTSIDE_SHARED:
                found.append(where)
                continue
            if not imported.startswith("propdesk.") or allowed is None:
                continue
            target = _package(imported)
            if target != source and target not in allowed:
                found.append(where)
    return found


def test_every_package_of_propdesk_has_a_place_in_the_layering() -> None:
    packages = {_package(name) for name, _ in _modules()} - {""}
    assert sorted(packages - ALLOWED.keys()) == []


def test_imports_run_one_way() -> None:
    assert forbidden_edges() == []


def test_the_walk_sees_imports_under_type_checking_and_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from propdesk.data.accounts import AccountRepository\n"
        "def later() -> None:\n    import propdesk.http.views\n"
        "from propdesk import errors\n"
    )
    assert [imported for _, imported in _imports(module)] == [
        "typing",
        "propdesk.data.accounts",
        "propdesk.http.views",
        "propdesk",
        "propdesk.errors",
    ]
