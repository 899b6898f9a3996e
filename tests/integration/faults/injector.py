"""Seeded fault injection into the local system through botocore's event hooks and the providers' fakes.

`FaultInjector.installed()` registers hooks on every botocore client created while it is active (pynamodb's
DynamoDB clients and boto3's EventBridge client; the cached ones are dropped so that they are created again):

- `throttle`: a DynamoDB call answered `ProvisionedThroughputExceededException` or `ThrottlingException`
  (`before-send`: a real HTTP 400 answer, parsed by botocore). A burst of 1 to 4 answers: the SDK's own
  retries absorb the short ones (without waiting), the longer ones reach the application;
- `race`: just before a conditional write of a risk snapshot, another writer bumps its version (the write
  fails its condition as it would when `daily_reset` and `risk_recalc` meet on one account);
- `crash`: the process dies (`SimulatedCrash`, which escapes every `except Exception`) just after a risk
  snapshot carrying effects was written, or just after a `PutEvents` succeeded, before what follows;
- `put_events`: EventBridge `PutEvents` answers a partial failure: some entries refused (`FailedEntryCount`,
  per-entry `ErrorCode`), the others published;
- `provider`: the caller asks `provider_fault()` before a provider step; the fakes answer 5xx or drop the
  connection after doing the work (an answer that never comes: a timeout as the client sees it).

Every decision comes from one `random.Random(seed)`: a run is reproducible. `counts` says what was injected.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse, HeadersDict
from propdesk.adapters import aws
from pynamodb.connection import base as _pynamodb_base
from pynamodb.models import Model

pynamodb_base: Any = _pynamodb_base  # its get_session is swapped for the run (not part of its typed API)

INJECTED_HEADER = "x-propdesk-fault"
THROTTLES = ("ProvisionedThroughputExceededException", "ThrottlingException")
RISK_SK = "RISK"


class SimulatedCrash(BaseException):
    """The function was killed: escapes every `except Exception`, as a dying process would."""


@dataclass(frozen=True)
class FaultRates:
    """The chance of each fault at each opportunity (0: never)."""

    throttle: float = 0.0
    race: float = 0.0
    crash: float = 0.0
    put_events: float = 0.0
    provider: float = 0.0

    @classmethod
    def none(cls) -> FaultRates:
        return cls()

    @classmethod
    def default(cls) -> FaultRates:
        return cls(throttle=0.04, race=0.15, crash=0.08, put_events=0.2, provider=0.25)


@dataclass
class LocalEventBridge:
    """What `PutEvents` published (every accepted entry, duplicates included, each with its bus id)."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    taken: int = 0

    def accept(self, entry: dict[str, Any]) -> str:
        bus_id = str(uuid.uuid4())
        self.entries.append({**entry, "bus_id": bus_id, "detail": json.loads(entry["Detail"])})
        return bus_id

    def take(self, prefix: str) -> list[dict[str, Any]]:
        """The entries published since the last `take` whose detail-type starts with `prefix` (a rule)."""
        fresh = self.entries[self.taken :]
        self.taken = len(self.entries)
        return [entry for entry in fresh if entry["DetailType"].startswith(prefix)]


class _Body:
    def __init__(self, payload: dict[str, Any]) -> None:
        self._bytes = json.dumps(payload).encode()

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._bytes


def _answer(status: int, payload: dict[str, Any], injected: bool) -> AWSResponse:
    headers = HeadersDict({"content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "fault"})
    if injected:
        headers[INJECTED_HEADER] = "1"
    return AWSResponse("http://fault.local/", status, headers, _Body(payload))  # type: ignore[arg-type]


class FaultInjector:
    def __init__(self, seed: int, rates: FaultRates, bus: LocalEventBridge, raw_dynamodb: Any) -> None:
        self.rates = rates
        self.bus = bus
        self.counts: Counter[str] = Counter()
        self.active = False  # faults only while the system under test runs (not while the driver sets up)
        self._random = random.Random(seed)
        self._raw = raw_dynamodb  # created before installation: never hooked
        self._throttle_burst = 0

    # ---- installation ----
    @contextmanager
    def installed(self) -> Iterator[FaultInjector]:
        original = botocore.session.Session.create_client
        injector = self

        def create_client(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            injector._hook(client.meta.events)
            return client

        shared = botocore.session.get_session()
        botocore.session.Session.create_client = create_client  # type: ignore[method-assign,assignment]
        connection_session = pynamodb_base.get_session
        # one session for every pynamodb connection: its loader caches the service model (each connection
        # would otherwise load it afresh, a second or more on a loaded machine)
        pynamodb_base.get_session = lambda: shared
        _drop_cached_clients()
        try:
            yield self
        finally:
            botocore.session.Session.create_client = original  # type: ignore[method-assign]
            pynamodb_base.get_session = connection_session
            _drop_cached_clients()

    def _hook(self, events: Any) -> None:
        events.register("before-parameter-build.dynamodb", self._before_dynamodb_call)
        events.register("before-send.dynamodb", self._before_dynamodb_send)
        events.register_first("needs-retry.dynamodb", self._retry_at_once)
        events.register("after-call.dynamodb", self._after_dynamodb_call)
        events.register("before-send.eventbridge.PutEvents", self._put_events)

    def _chance(self, rate: float) -> bool:
        return self.active and rate > 0 and self._random.random() < rate

    # ---- DynamoDB ----
    def _before_dynamodb_call(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if model.name not in ("PutItem", "UpdateItem") or not _is_risk_snapshot(params):
            return
        conditional = "ConditionExpression" in params
        if conditional and self._version_condition(params) and self._chance(self.rates.race):
            self._bump_version(params)
            self.counts["race"] += 1
        if model.name == "PutItem" and _carries_effects(params):
            context["crash_after"] = self._chance(self.rates.crash)

    def _before_dynamodb_send(self, request: Any, **_: Any) -> AWSResponse | None:
        if self._throttle_burst == 0 and self._chance(self.rates.throttle):
            self._throttle_burst = self._random.randint(1, 4)
        if self._throttle_burst == 0:
            return None
        self._throttle_burst -= 1
        code = self._random.choice(THROTTLES)
        self.counts["throttle"] += 1
        return _answer(
            400, {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"}, True
        )

    @staticmethod
    def _retry_at_once(response: Any, attempts: int, **_: Any) -> float | None:
        """The SDK retries an injected throttle at once (its own retry count and limits still apply)."""
        if response is None or response[0] is None or INJECTED_HEADER not in response[0].headers:
            return None
        return 0.0 if attempts < 3 else None

    def _after_dynamodb_call(self, context: dict[str, Any], http_response: Any, **_: Any) -> None:
        if context.get("crash_after") and http_response.status_code == 200:
            self.counts["crash"] += 1
            raise SimulatedCrash("killed after writing the risk snapshot, before its effects")

    def _version_condition(self, params: dict[str, Any]) -> bool:
        names = params.get("ExpressionAttributeNames", {})
        return "version" in names.values() and "attribute_not_exists" not in params["ConditionExpression"]

    def _bump_version(self, params: dict[str, Any]) -> None:
        key = params.get("Key") or {name: params["Item"][name] for name in ("pk", "sk")}
        self._raw.update_item(
            TableName=params["TableName"],
            Key=key,
            UpdateExpression="ADD #v :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#v": "version"},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    # ---- EventBridge ----
    def _put_events(self, request: Any, **_: Any) -> AWSResponse:
        entries = json.loads(request.body)["Entries"]
        partial = len(entries) > 0 and self._chance(self.rates.put_events)
        refused = {self._random.randrange(len(entries))} if partial else set()
        if partial:
            refused |= {i for i in range(len(entries)) if self._random.random() < 0.3}
            self.counts["put_events_partial"] += 1
            self.counts["put_events_entries_refused"] += len(refused)
        answers: list[dict[str, Any]] = []
        for index, entry in enumerate(entries):
            if index in refused:
                answers.append({"ErrorCode": "InternalFailure", "ErrorMessage": "injected"})
            else:
                answers.append({"EventId": self.bus.accept(entry)})
        crash = not refused and self._chance(self.rates.crash / 2)
        if crash:
            self.counts["crash"] += 1
            raise SimulatedCrash("killed just after PutEvents succeeded")
        return _answer(200, {"FailedEntryCount": len(refused), "Entries": answers}, False)

    # ---- providers ----
    def provider_fault(self) -> str | None:
        """`None`, `"5xx"` (refused before the work) or `"drop"` (the work done, the answer lost)."""
        if not self._chance(self.rates.provider):
            return None
        kind = self._random.choice(("5xx", "drop"))
        self.counts[f"provider_{kind}"] += 1
        return kind

    def pick(self, count: int) -> int:
        return self._random.randrange(count)


def _is_risk_snapshot(params: dict[str, Any]) -> bool:
    key = params.get("Key") or params.get("Item") or {}
    return bool(key.get("sk", {}).get("S") == RISK_SK)


def _carries_effects(params: dict[str, Any]) -> bool:
    pending = params["Item"].get("pending", {}).get("S")
    return bool(pending) and pending not in ("null", "[]")


def _drop_cached_clients() -> None:
    aws._client.cache_clear()
    stack: list[type[Model]] = [Model]
    while stack:
        model = stack.pop()
        if hasattr(model, "Meta"):
            model._connection = None
        stack.extend(model.__subclasses__())
