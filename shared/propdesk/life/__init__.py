"""A trader's life through a firm's programs: the chains of programs the firm configures (1-step, 2-step,
3-step evaluations, instant funding), what comes after a passed account (the next phase or the funded
account), and the progression use case the workflow's steps call.

Pure: no AWS, no clock reads; the stores, the platform and the bus are Protocols (`propdesk.life.ports`).
"""
