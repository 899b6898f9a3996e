"""Each platform's signing secrets, as platform_events reads them: its own secret only, the previous one too
while rotating, re-read after the cache's time, nothing for a platform without a secret."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from propdesk.wiring.ingestion import signing_secrets


@dataclass
class CountingSecrets:
    values: dict[str, str]
    reads: list[str] = field(default_factory=list)

    def get(self, secret_id: str) -> str:
        self.reads.append(secret_id)
        return self.values[secret_id]


def test_a_platform_reads_only_its_own_secret_once_per_cache_period() -> None:
    source = CountingSecrets({"arn:mt5": json.dumps({"signing_secret": "s1"}), "arn:ct": "{}"})
    read = signing_secrets({"mt5": "arn:mt5", "ctrader": "arn:ct"}, source)

    assert read("mt5") == ["s1"]
    assert read("mt5") == ["s1"]
    assert source.reads == ["arn:mt5"]


def test_while_rotating_both_the_new_and_the_previous_secret_verify() -> None:
    rotating = json.dumps({"signing_secret": "new", "previous_signing_secret": "old"})
    read = signing_secrets({"mt5": "arn"}, CountingSecrets({"arn": rotating}))

    assert read("mt5") == ["new", "old"]


def test_a_platform_without_a_secret_has_none() -> None:
    read = signing_secrets({"mt5": "arn:mt5"}, CountingSecrets({"arn:mt5": "{}"}))

    assert read("mt5") == []
    with pytest.raises(LookupError):
        read("dxtrade")
