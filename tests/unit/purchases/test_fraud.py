"""Fraud pre-checks: each gives a reason; the firm decides block, flag or off per check."""

from __future__ import annotations

from propdesk.purchases.fraud import FraudPolicy, PurchaseSignals, assess


def test_a_clean_purchase_has_no_findings() -> None:
    result = assess(
        PurchaseSignals(email="ada@example.com", ip_country="GB", billing_country="gb"), FraudPolicy()
    )
    assert result.findings == ()
    assert not result.blocked


def test_velocity_per_email_ip_and_card_counts_purchases_in_the_window() -> None:
    signals = PurchaseSignals(email="ada@example.com", recent_by_email=5, recent_by_ip=10, recent_by_card=5)
    result = assess(signals, FraudPolicy())
    assert [f.check for f in result.findings] == ["email_velocity", "ip_velocity", "card_velocity"]
    assert result.findings[0].reason == "5 purchases with this e-mail in the last 24 h (limit 5)"
    assert result.blocked  # card velocity blocks by default
    assert result.blocking_reasons() == ["5 purchases with this card in the last 24 h (limit 5)"]


def test_disposable_domains_match_subdomains_too() -> None:
    result = assess(PurchaseSignals(email="x@eu.mailinator.com"), FraudPolicy())
    assert result.blocked
    assert result.flags == ("disposable_email: eu.mailinator.com is a disposable e-mail domain",)


def test_a_country_mismatch_names_every_source() -> None:
    signals = PurchaseSignals(email="a@example.com", ip_country="NG", billing_country="GB", card_country="GB")
    (finding,) = assess(signals, FraudPolicy()).findings
    assert finding.action == "flag"
    assert finding.reason == "countries differ: IP address NG, billing address GB, card GB"


def test_the_firm_chooses_the_action_of_each_check() -> None:
    policy = FraudPolicy(actions={"disposable_email": "flag", "country_mismatch": "block"})
    signals = PurchaseSignals(
        email="x@yopmail.com", ip_country="US", billing_country="FR", recent_by_email=99
    )
    result = assess(signals, policy)
    assert {f.check: f.action for f in result.findings} == {
        "disposable_email": "flag",
        "country_mismatch": "block",
    }
    assert result.blocked


def test_the_firms_choices_are_read_from_one_setting() -> None:
    import pytest
    from propdesk.wiring.purchases import fraud_policy

    policy = fraud_policy("disposable_email=flag, country_mismatch=off")
    assert policy.action("disposable_email") == "flag"
    assert policy.action("country_mismatch") == "off"
    assert policy.action("card_velocity") == "block"  # the default stays
    with pytest.raises(ValueError, match="FRAUD_ACTIONS"):
        fraud_policy("disposable_email=maybe")


def test_the_card_country_rules_are_read_from_one_setting_and_a_typo_is_refused() -> None:
    import pytest
    from propdesk.wiring.purchases import fraud_policy

    policy = fraud_policy("", "kp=block, NG=flag")
    assert dict(policy.country_rules) == {"KP": "block", "NG": "flag"}
    assert fraud_policy("").country_rules == {}
    for wrong in ("KPR=block", "KP=refund", "KP", "K1=flag"):
        with pytest.raises(ValueError, match="FRAUD_COUNTRIES"):
            fraud_policy("", wrong)
