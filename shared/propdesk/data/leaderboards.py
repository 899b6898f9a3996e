"""Leaderboard standings: `LEADERBOARD#{program}#{board}#{shard}` / `ACCOUNT#{id}`, ranked through GSI1
(same partition, sort key = the sortable return)."""

from __future__ import annotations

from datetime import datetime

from propdesk.data import keys
from propdesk.data.models import LeaderboardItem
from propdesk.leaderboards import SHARDS, ranked, return_percent, shard_of, sortable_return
from propdesk.records import LeaderboardStanding


class LeaderboardRepository:
    def get(self, program_id: str, board: str, account_id: str) -> LeaderboardStanding | None:
        try:
            item = LeaderboardItem.get(
                keys.leaderboard_pk(program_id, board, shard_of(account_id)), keys.account_pk(account_id)
            )
        except LeaderboardItem.DoesNotExist:
            return None
        return _standing(item)

    def save(self, standing: LeaderboardStanding, at: datetime, expires_at: datetime | None) -> None:
        shard = shard_of(standing.account_id)
        partition = keys.leaderboard_pk(standing.program_id, standing.period_key, shard)
        LeaderboardItem(
            partition,
            keys.account_pk(standing.account_id),
            entity="leaderboard_standing",
            program_id=standing.program_id,
            period_key=standing.period_key,
            account_id=standing.account_id,
            display_name=standing.display_name,
            initial_balance=standing.initial_balance,
            start_balance=standing.start_balance,
            balance=standing.balance,
            start_funding=standing.start_funding,
            funding=standing.funding,
            updated_at=at,
            expires_at=expires_at,
            gsi1pk=partition,
            gsi1sk=f"{keys.RETURN_PREFIX}{sortable_return(return_percent(standing))}#{standing.account_id}",
        ).save()

    def top(self, program_id: str, board: str, limit: int) -> list[LeaderboardStanding]:
        """The best `limit` standings of the board: each shard's best `limit`, merged."""
        candidates: list[LeaderboardStanding] = []
        for shard in range(SHARDS):
            results = LeaderboardItem.by_rank.query(
                keys.leaderboard_pk(program_id, board, shard),
                LeaderboardItem.gsi1sk.startswith(keys.RETURN_PREFIX),
                scan_index_forward=False,
                limit=limit,
            )
            candidates.extend(_standing(item) for item in results)
        return ranked(candidates, limit)


def _standing(item: LeaderboardItem) -> LeaderboardStanding:
    return LeaderboardStanding(
        program_id=item.program_id,
        period_key=item.period_key,
        account_id=item.account_id,
        display_name=item.display_name,
        initial_balance=item.initial_balance,
        start_balance=item.start_balance,
        balance=item.balance,
        start_funding=item.start_funding,
        funding=item.funding,
    )
