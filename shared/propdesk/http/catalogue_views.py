"""The catalogue and the leaderboards → their response models (money as decimal strings)."""

from __future__ import annotations

from collections.abc import Iterable

from propdesk.http.schemas import catalogue
from propdesk.leaderboards import Period, entry_id, return_percent
from propdesk.money import money_str
from propdesk.purchases.pricing import AddOn, AddOnOffer, add_on_offers
from propdesk.records import LeaderboardStanding, ProgramSummary, ProgramVersion


def program_view(summary: ProgramSummary, add_ons: Iterable[AddOn]) -> catalogue.ProgramOut:
    offers = add_on_offers(summary.program_id, summary.prices, add_ons)
    return catalogue.ProgramOut(
        program_id=summary.program_id,
        name=summary.name,
        kind=summary.kind,
        description=summary.description,
        version=summary.current_version,
        currency=summary.currency,
        initial_balance=money_str(summary.initial_balance),
        prices={currency: money_str(price) for currency, price in sorted(summary.prices.items())},
        add_ons=[add_on_view(offer) for offer in offers],
    )


def add_on_view(offer: AddOnOffer) -> catalogue.AddOnOut:
    return catalogue.AddOnOut(
        add_on_id=offer.add_on_id,
        description=offer.description,
        prices={currency: money_str(price) for currency, price in offer.prices.items()},
    )


def program_version_view(version: ProgramVersion) -> catalogue.ProgramVersionOut:
    return catalogue.ProgramVersionOut(
        version=version.version, published_at=version.published_at, document=version.document
    )


# ---- leaderboards


def leaderboard_entry_update(standing: LeaderboardStanding) -> dict[str, str]:
    """One standing as a live `leaderboard.update` carries it (no rank: the client re-ranks its copy)."""
    return {
        "entry_id": entry_id(standing.account_id),
        "display_name": standing.display_name,
        "return_percent": str(return_percent(standing)),
        "profit": money_str(standing.profit),
    }


def leaderboard_view(
    program_id: str, period: Period, key: str, standings: list[LeaderboardStanding]
) -> catalogue.Leaderboard:
    return catalogue.Leaderboard(
        program_id=program_id,
        period=period,
        period_key=key,
        entries=[
            catalogue.LeaderboardEntry(
                rank=rank,
                entry_id=entry_id(standing.account_id),
                display_name=standing.display_name,
                return_percent=str(return_percent(standing)),
                profit=money_str(standing.profit),
            )
            for rank, standing in enumerate(standings, start=1)
        ],
    )
