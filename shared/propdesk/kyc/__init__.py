"""Identity verification (KYC) as the domain sees it: the provider port (`port.KycProvider`, implemented by
`propdesk.adapters.kyc.veriff` and `propdesk.adapters.kyc.sumsub`) and the trader's verification case
(`case`, a pure state machine whose transitions say what to do next, `actions`).

Personal data stays at the provider: propdesk keeps the provider's session id, the normalized outcome, the
provider's reason codes and dates, never a name, a document or an image.
"""
