"""The one data layer: pynamodb models behind small repositories (keys in docs/data-model.md).

This package's `__init__` stays empty on purpose: `keys` and `schema` are pure and cheap, while the
repository modules load pynamodb (and botocore). Import what you need from its module, e.g.
`from propdesk.data.accounts import AccountRepository`, after `propdesk.data.binding.bind_tables(...)`.
"""
