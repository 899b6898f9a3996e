"""platform_commands as its queue drives it: partial-batch responses, a backoff before each redelivery, and
the dead-letter queue after five receives of a command the platform keeps refusing."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from propdesk.platforms.enforcement import PlatformCommand
from propdesk.platforms.port import TradingAccess

from events import load_event
from functions.platform_commands import handler as platform_commands
from tests.integration.invoke import LambdaContextStub
from tests.unit.platforms.enforcement_world import T0, World, disable, pause

CONTEXT: Any = LambdaContextStub()
MAX_RECEIVES = 5  # the queue's redrive policy (infra/constructs/queues.py)


def message_for(command: PlatformCommand) -> dict[str, Any]:
    """The EventBridge event of this command as the queue delivers it (the sample message's shape)."""
    event = load_event("eventbridge/platform_disable_requested")
    event["detail-type"] = f"platform.{command.kind}_requested"
    event["detail"] = {
        "event_id": command.command_id,
        "occurred_at": command.asked_at.isoformat(),
        "account_id": command.account_id,
        "trader_id": command.trader_id,
        **({"reason": command.reason} if command.kind != "resume" else {}),
        **({"paused_until": command.paused_until.isoformat()} if command.paused_until else {}),
    }
    return event


@dataclass
class Queue:
    """An SQS queue with a redrive policy, as far as the consumer can tell: failed messages come back with a
    higher receive count after the delay the consumer asked for; the fifth failure moves one to the DLQ."""

    world: World
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    receives: dict[str, int] = field(default_factory=dict)
    delays: list[int] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)

    def send(self, body: dict[str, Any] | str) -> str:
        message_id = f"m-{len(self.messages) + len(self.dead) + 1}"
        self.messages[message_id] = body if isinstance(body, dict) else {"raw": body}
        self.receives[message_id] = 0
        return message_id

    def deliver(self) -> dict[str, Any]:
        template = load_event("sqs/platform_commands_disable_requested")["Records"][0]
        records = []
        for message_id, body in self.messages.items():
            self.receives[message_id] += 1
            record = copy.deepcopy(template)
            record["messageId"] = message_id
            record["receiptHandle"] = f"receipt-{message_id}"
            record["body"] = body["raw"] if "raw" in body else json.dumps(body)
            record["attributes"]["ApproximateReceiveCount"] = str(self.receives[message_id])
            records.append(record)
        deps = platform_commands.Dependencies(self.world.service, self._delay)
        response = platform_commands.process({"Records": records}, CONTEXT, deps)
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        for message_id in list(self.messages):
            if message_id not in failed:
                del self.messages[message_id]
            elif self.receives[message_id] >= MAX_RECEIVES:
                self.dead.append(message_id)
                del self.messages[message_id]
        return response

    def _delay(self, receipt: str, seconds: int) -> None:
        assert receipt.startswith("receipt-")
        self.delays.append(seconds)


def test_only_the_pending_command_is_reported_failed_and_comes_back_after_a_growing_backoff() -> None:
    world = World()
    healthy, unplaced = world.open_account(), world.open_account(placed=False)
    world.platform.down = True  # every account of the platform is unreachable
    queue = Queue(world)
    stuck = queue.send(message_for(disable(healthy, T0)))
    queue.send(message_for(pause(unplaced, T0, T0 + timedelta(hours=1))))

    first = queue.deliver()
    queue.deliver()
    queue.deliver()

    assert first == {"batchItemFailures": [{"itemIdentifier": stuck}]}
    assert list(queue.messages) == [stuck]
    assert queue.delays == [10, 20, 40]


def test_a_command_the_platform_keeps_refusing_lands_in_the_dead_letter_queue_after_five_receives() -> None:
    world = World()
    account = world.open_account()
    world.platform.reject_next = 100  # 400s: the platform refuses, a person must look
    queue = Queue(world)
    message = queue.send(message_for(disable(account, T0)))

    for _ in range(MAX_RECEIVES):
        queue.deliver()

    assert queue.dead == [message] and not queue.messages
    (pending,) = world.state(account).pending
    assert pending.attempts == MAX_RECEIVES and "400" in pending.last_error
    assert len([a for a in world.alerts() if a["severity"] == "critical"]) == 3  # attempts 3, 4 and 5
    assert queue.delays == [10, 20, 40, 80, 160]


def test_a_command_delivered_twice_in_one_batch_is_applied_once() -> None:
    world = World()
    account = world.open_account()
    queue = Queue(world)
    body = message_for(disable(account, T0))
    queue.send(body)
    queue.send(copy.deepcopy(body))

    assert queue.deliver() == {"batchItemFailures": []}
    assert world.access(account) is TradingAccess.DISABLED
    assert len(world.audit.about(account.account_id)) == 1


def test_a_malformed_message_fails_alone_and_other_detail_types_are_ignored() -> None:
    world = World()
    account = world.open_account()
    queue = Queue(world)
    bad = queue.send("not json")
    other = message_for(disable(account, T0))
    other["detail-type"] = "account.breached"
    queue.send(other)
    queue.send(message_for(disable(account, T0 + timedelta(seconds=1))))

    assert queue.deliver() == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert world.access(account) is TradingAccess.DISABLED


def test_the_backoff_doubles_up_to_five_minutes() -> None:
    assert [platform_commands.backoff(n) for n in (1, 2, 3, 6, 20)] == [10, 20, 40, 300, 300]
