"""The shape every detector has.

`observe` sees one event with its context and answers the flags it raised or updated (usually none); it
touches only its own keyed state (bounded per key, expiring in event time) and the ports it was given.
`deep_pass` reads a window of observed events at once (the daily pass) and answers the flags it finds; a
detector that gains nothing from hindsight answers none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from propdesk.abuse.decisions import Enforcement
from propdesk.abuse.flags import DetectorName, Flag
from propdesk.abuse.inputs import AbuseEvent, Context, Observed


class Detector(Protocol):
    name: DetectorName

    @property
    def enforcement(self) -> Enforcement: ...

    def observe(self, event: AbuseEvent, context: Context) -> list[Flag]: ...

    def deep_pass(self, window: Sequence[Observed]) -> list[Flag]: ...
