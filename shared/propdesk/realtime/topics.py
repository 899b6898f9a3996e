"""Topics a WebSocket connection can subscribe to, and who may.

- `account:{account_id}`: one account's live updates (metrics, warnings, breaches), each with a sequence
  number; the account's trader and staff allowed to read accounts may subscribe.
- `leaderboard:{program_id}:{period}`: standing changes on a program's board for `day`, `week`, `month`
  or `all`; public (display names only).

Subscriptions of a topic are spread over shards (`SUB#{topic}#{shard}`), so a popular leaderboard never
becomes one hot partition; an account's topic has few subscribers and one shard.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Final, Literal

from propdesk.leaderboards import PERIODS

ACCOUNT: Final = "account"
LEADERBOARD: Final = "leaderboard"
LEADERBOARD_SHARDS = 8
_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

TopicKind = Literal["account", "leaderboard"]


class TopicError(ValueError):
    """A topic that is not one of the known forms."""


@dataclass(frozen=True, slots=True)
class Topic:
    kind: TopicKind
    subject: str  # the account id, or the program id
    period: str | None = None  # leaderboards only

    @property
    def name(self) -> str:
        if self.kind == ACCOUNT:
            return f"{ACCOUNT}:{self.subject}"
        return f"{LEADERBOARD}:{self.subject}:{self.period}"

    @property
    def shards(self) -> int:
        return 1 if self.kind == ACCOUNT else LEADERBOARD_SHARDS

    @property
    def resumable(self) -> bool:
        """Account updates carry sequence numbers and are kept for resuming; leaderboard moves are not."""
        return self.kind == ACCOUNT

    def shard_of(self, connection_id: str) -> int:
        return zlib.crc32(connection_id.encode()) % self.shards


def account_topic(account_id: str) -> Topic:
    return Topic(ACCOUNT, account_id)


def leaderboard_topic(program_id: str, period: str) -> Topic:
    return Topic(LEADERBOARD, program_id, period)


def parse_topic(text: str) -> Topic:
    parts = text.split(":")
    if parts[0] == ACCOUNT and len(parts) == 2 and _ID.match(parts[1]):
        return account_topic(parts[1])
    if parts[0] == LEADERBOARD and len(parts) == 3 and _ID.match(parts[1]) and parts[2] in PERIODS:
        return leaderboard_topic(parts[1], parts[2])
    raise TopicError(
        f"unknown topic {text[:140]!r}: use account:{{account_id}} or "
        f"leaderboard:{{program_id}}:{{{'|'.join(PERIODS)}}}"
    )
