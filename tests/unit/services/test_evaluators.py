"""The one evaluator cache: a pinned program version is built once per execution environment, with the warning
share it was given; a version the catalogue lacks is one error, answered 404 over HTTP."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from propdesk.errors import ProgramVersionMissingError
from propdesk.http.errors import domain_error_response
from propdesk.records import ProgramVersion
from propdesk.services.evaluators import Evaluators

from tests.doubles.risk_stores import InMemoryProgramVersions
from tests.unit.services.risk_world import PUBLISHED, RiskWorld, demo_document


class CountingVersions(InMemoryProgramVersions):
    reads: int = 0

    def get_version(self, program_id: str, version: int) -> ProgramVersion | None:
        self.reads += 1
        return super().get_version(program_id, version)


def test_a_program_version_is_read_and_built_once_and_shared() -> None:
    versions = CountingVersions()
    versions.publish(demo_document("two-step-100k-phase-1"), PUBLISHED)
    account = RiskWorld().account
    evaluators = Evaluators(versions)

    assert evaluators(account) is evaluators(replace(account, account_id="acc-2"))
    assert versions.reads == 1


def test_the_evaluators_warn_at_the_share_they_were_given() -> None:
    versions = InMemoryProgramVersions()
    versions.publish(demo_document("two-step-100k-phase-1"), PUBLISHED)
    account = RiskWorld().account

    assert Evaluators(versions)(account).warn_at == Decimal("0.8")
    assert Evaluators(versions, warn_at=Decimal("0.9"))(account).warn_at == Decimal("0.9")
    assert Evaluators(versions, warn_at=None)(account).warn_at is None


def test_a_version_the_catalogue_lacks_is_one_error_answered_404() -> None:
    account = RiskWorld().account

    with pytest.raises(ProgramVersionMissingError) as missing:
        Evaluators(InMemoryProgramVersions())(account)

    assert (missing.value.code, missing.value.field) == ("program_version_missing", "account_id")
    assert domain_error_response(missing.value).status_code == 404
