"""Each function may put on the bus only the detail types it publishes (issue 14, "IAM wider than the code"):
its role's `events:PutEvents` is conditioned on `events:source` and `events:detail-type`, from one list
(`infra.constructs.publishing.PUBLISHES`), and that list covers every event type the function's code can
construct (read from the source: the modules the handler imports, transitively)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest
from propdesk.domain_events import CATALOGUE, SOURCE

from infra.config import PROJECT_ROOT
from infra.constructs.publishing import PUBLISHES
from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra

EVENT_CLASSES = {event_type.__name__: detail_type for detail_type, event_type in CATALOGUE.items()}
# Event types a function's code refers to without publishing them (a module it imports for something else
# builds them); each with the reason it cannot reach the bus from that function.
ORDERS = (
    "propdesk.purchases.orders, imported for the order's type, builds purchase events in `apply_payment`, "
    "which only the payment webhooks and the purchase reconciliation call"
)
PURCHASE_TYPES = ("completed", "failed", "refunded", "disputed", "dispute_closed", "flagged")
READS_ORDERS = {f"purchase.{kind}": ORDERS for kind in PURCHASE_TYPES}
LOGIN_MAIL = (
    "propdesk.purchases.fulfilment, imported for its LoginMail, announces a purchase's account; the "
    "progression's accounts are announced as account.phase_started / account.funded"
)
WORKFLOW = (
    "propdesk.life.workflow, shared with the progression workflow's steps, builds the next account's and the "
    "passed account's events in the steps that open and finish; the review route only decides and resumes"
)
ENFORCEMENT = (
    "propdesk.platforms.enforcement, imported for the wanted access state, names the commands this function "
    "carries out or corrects with others"
)
PUT_BACK = (
    "propdesk.wiring.payouts, imported for the put-back of a denied payout's withdrawal in doubt (it books "
    "on the platform, publishes nothing), shares its module with the payout workflow's wiring"
)
PAYOUT_TYPES = ("requested", "approved", "paid", "failed")
PUTS_BACK = {**READS_ORDERS, **{f"payout.{kind}": PUT_BACK for kind in PAYOUT_TYPES}}
CARD_CHECK = (
    "propdesk.purchases.card_check, imported with the webhook service, alerts staff of a paying card's "
    "findings; only the Stripe webhook is given a card check (cards are paid through Stripe)"
)
REFERENCED_NOT_PUBLISHED: dict[str, dict[str, str]] = {
    "crypto_webhook": {"firm.alert": CARD_CHECK},
    "orders_api": {"firm.alert": CARD_CHECK},
    "payouts_api": READS_ORDERS,
    "payout_steps": READS_ORDERS,
    "payout_webhooks": READS_ORDERS,
    "payout_scaling": READS_ORDERS,  # the fee paid (the chain's first order) comes with the payout facts
    "provisioning": READS_ORDERS,
    "platform_reconciliation": READS_ORDERS,
    "platform_commands": {
        **READS_ORDERS,
        **{f"platform.{kind}_requested": ENFORCEMENT for kind in ("disable", "enable", "pause", "resume")},
    },
    "platform_drift": {**READS_ORDERS, "platform.resume_requested": ENFORCEMENT},
    **{
        f"progression_{step}": {**READS_ORDERS, "account.provisioned": LOGIN_MAIL}
        for step in ("start", "review", "finish")
    },
    **{name: PUTS_BACK for name in ("abuse_detect", "abuse_deep_pass", "abuse_api", "abuse_outbox_sweep")},
    "progression_api": {
        **READS_ORDERS,
        "account.provisioned": LOGIN_MAIL,
        **dict.fromkeys(("account.phase_started", "account.funded", "platform.disable_requested"), WORKFLOW),
    },
}


def put_events_statements(synthesized: Synthesized, name: str) -> list[dict[str, object]]:
    return [s for s in synthesized.function_statements(name) if s["Action"] == "events:PutEvents"]


def test_every_put_events_grant_names_the_source_and_the_functions_own_detail_types(
    synthesized: Synthesized,
) -> None:
    publishers = set()
    for name in synthesized.functions():
        for statement in put_events_statements(synthesized, name):
            publishers.add(name)
            assert statement["Condition"] == {
                "StringEquals": {"events:source": SOURCE, "events:detail-type": sorted(PUBLISHES[name])}
            }, name

    assert publishers == set(PUBLISHES)


def test_the_public_and_read_only_functions_put_no_events(synthesized: Synthesized) -> None:
    for name in ("auth_api", "pre_sign_up", "catalogue_api", "accounts_api", "platform_events", "staff_api"):
        assert put_events_statements(synthesized, name) == [], name


def test_only_the_purchase_functions_may_announce_a_paid_purchase() -> None:
    assert {name for name, types in PUBLISHES.items() if "purchase.completed" in types} == {
        "orders_api", "stripe_webhook", "crypto_webhook", "reconciliation",
    }  # fmt: skip


def test_only_the_risk_functions_may_announce_a_breach_or_a_pass() -> None:
    for detail_type in ("account.breached", "account.passed"):
        assert {name for name, types in PUBLISHES.items() if detail_type in types} == {
            "risk_recalc", "daily_reset", "risk_outbox_sweep",
        }  # fmt: skip


def test_every_listed_detail_type_is_in_the_catalogue() -> None:
    for name, detail_types in PUBLISHES.items():
        assert detail_types <= set(CATALOGUE), name


@pytest.mark.parametrize("name", sorted(PUBLISHES))
def test_the_list_covers_every_event_type_the_functions_code_can_construct(name: str) -> None:
    referenced = referenced_event_types(f"functions.{name}.handler")
    missing = referenced - PUBLISHES[name] - set(REFERENCED_NOT_PUBLISHED.get(name, {}))

    assert not missing, f"{name} may build {sorted(missing)}: add them to PUBLISHES (or say why not)"


def referenced_event_types(module: str) -> set[str]:
    """The detail types whose event classes are named in `module` or any propdesk module it imports."""
    found: set[str] = set()
    for path in import_closure(module):
        if path.name == "domain_events.py":
            continue
        for node in ast.walk(_tree(path)):
            name = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr
                if isinstance(node, ast.Attribute)
                else ""
            )
            if name in EVENT_CLASSES:
                found.add(EVENT_CLASSES[name])
    return found


def import_closure(module: str) -> set[Path]:
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        current = todo.pop()
        if current in seen or (path := _source(current)) is None:
            continue
        seen[current] = path
        package = current if path.name == "__init__.py" else current.rpartition(".")[0]
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Import):
                todo.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(package, node.module, node.level)
                todo.append(base)
                todo.extend(f"{base}.{alias.name}" for alias in node.names)
    return set(seen.values())


def _absolute(package: str, module: str | None, level: int) -> str:
    if not level:
        return module or ""
    parts = package.split(".")[: len(package.split(".")) - level + 1]
    return ".".join([*parts, *([module] if module else [])])


@cache
def _source(module: str) -> Path | None:
    if not module.startswith(("propdesk", "functions")):
        return None
    relative = Path(*module.split("."))
    for root in (PROJECT_ROOT / "shared", PROJECT_ROOT):
        for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
            if candidate.exists():
                return candidate
    return None


@cache
def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text())
