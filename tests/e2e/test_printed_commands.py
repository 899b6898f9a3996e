"""What `make dev` prints works as printed: the banner for this session's stack (the fakes running as
`make dev` runs them), each command run literally with `bash -c`, in order, from a directory laid out like
the clone's root after `make dev` (`.venv`, `scripts`, `.local/dev.json`), and each answer checked: the order
is paid after the payment page is opened, the account is provisioned, the receipt and the platform login are
in the local mailbox, the WebSocket subscription is acknowledged. A variable a command sets (`TOKEN=...`)
stays set for the commands after it, as in one terminal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from scripts.dev import banner
from tests.e2e.harness import DeployedStack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = re.compile(r"^([A-Z_][A-Z0-9_]*)=")
KEPT = "--kept-variable--"


@dataclass
class Printed:
    text: str
    typed: list[str] = field(default_factory=list)  # what to type into an interactive command


def printed_commands(text: str) -> list[Printed]:
    """The commands of the banner: lines indented by two spaces after "Try:"; a line indented further
    continues the command above (after a trailing backslash) or is what to type into it."""
    commands: list[Printed] = []
    for line in text.split("\nTry:\n", 1)[1].splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            commands.append(Printed(line[2:]))
        elif line.startswith("   ") and commands:
            if commands[-1].text.rstrip().endswith("\\"):
                commands[-1].text += "\n" + line
            else:
                commands[-1].typed.append(line.strip())
    return commands


@dataclass
class Shell:
    """One terminal at the clone's root: runs a printed command with `bash -c` exactly as printed."""

    cwd: Path
    variables: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.variables}

    def run(self, command: Printed, timeout: float = 90) -> str:
        """The command's output; a variable it sets in the shell (`TOKEN=$(...)`, not `NAME=value command`,
        which only sets it for that command) is kept for the commands after it. The command's own exit
        status counts."""
        assigned = ASSIGNMENT.match(command.text)
        script = command.text
        if assigned:  # printed after a marker line, only if the shell has the variable now
            name = assigned[1]
            script += f'\nstatus=$?\n[ -n "${{{name}+set}}" ] && printf "\\n{KEPT}%s" "${name}"\nexit $status'
        done = subprocess.run(
            ["bash", "-c", script], cwd=self.cwd, env=self.environment(), capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"{command.text}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"
        output, kept, value = done.stdout.rpartition(f"\n{KEPT}") if assigned else ("", "", done.stdout)
        if assigned and kept:
            self.variables[assigned[1]] = value
            return output
        return done.stdout

    def interact(self, command: Printed, until: str, timeout: float = 90) -> str:
        """Start an interactive command, type its lines once it is connected, read until `until` shows. A
        connection that timed out in its opening handshake (the authorizer's and $connect's cold starts on a
        busy machine, up to a minute seen: the client waits 10 s) is tried again, as a user would."""
        deadline = time.monotonic() + 240
        while True:
            output = self._interact_once(command, until, timeout)
            if "timed out during opening handshake" not in output:
                return output
            assert time.monotonic() < deadline, f"{command.text}: {output}"

    def _interact_once(self, command: Printed, until: str, timeout: float) -> str:
        process = subprocess.Popen(
            ["bash", "-c", command.text], cwd=self.cwd, env=self.environment(), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        output: list[str] = []
        stdout = process.stdout
        threading.Thread(target=lambda: output.extend(iter(stdout.readline, "")), daemon=True).start()
        deadline = time.monotonic() + timeout
        try:
            while "Connected" not in "".join(output):
                if process.poll() is not None:
                    time.sleep(0.2)  # the reader's last lines
                    return "".join(output)
                assert time.monotonic() < deadline, "".join(output)
                time.sleep(0.1)
            for line in command.typed:
                process.stdin.write(line + "\n")
                process.stdin.flush()
            while until not in "".join(output):
                assert time.monotonic() < deadline, "".join(output)
                time.sleep(0.1)
        finally:
            process.stdin.close()  # end of input: the client closes the connection
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        return "".join(output)


def again_until(shell: Shell, command: Printed, check: Callable[[str], bool], timeout: float = 150) -> str:
    """Run the printed command again until its answer passes `check` (asynchronous steps)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = shell.run(command)
        if check(answer):
            return answer
        assert time.monotonic() < deadline, f"{command.text}\nstill answers: {answer[:2000]}"
        time.sleep(2)


@pytest.fixture(scope="module")
def clone(stack: DeployedStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The clone's root as `make dev` leaves it: the environment, the scripts, and `.local/dev.json`."""
    root: Path = tmp_path_factory.mktemp("clone")
    (root / ".venv").symlink_to(ROOT / ".venv")
    (root / "scripts").symlink_to(ROOT / "scripts")
    (root / "fakes").symlink_to(ROOT / "fakes")  # the printed signed push uses the platform fake's signer
    (root / ".local").mkdir()
    local = {"endpoint": stack.endpoints.cloud, "outputs": stack.outputs}
    (root / ".local" / "dev.json").write_text(json.dumps(local, indent=2))
    yield root


@pytest.mark.timeout(1200)  # a dozen commands, each a cold start on a busy machine, and provisioning
def test_every_printed_command_works_as_printed_in_order(stack: DeployedStack, clone: Path) -> None:
    assert stack.providers is not None, "the session's stack runs with the providers' fakes"
    text = banner(stack.endpoints, stack.demo, stack.providers)
    commands = printed_commands(text)
    shell = Shell(clone)
    stripe_url = stack.providers.urls()[0]
    demo_account, trader = stack.demo["account_id"], stack.demo["trader_email"]
    accounts_before: set[str] = set()

    def order() -> dict[str, Any]:
        placed: dict[str, Any] = json.loads((clone / ".local" / "order.json").read_text())
        return placed

    def order_status(answer: str) -> str:
        """The order's status ("" while the API answers a cold start's timeout: asked again)."""
        orders = {o["order_id"]: o for o in json.loads(answer).get("orders", [])}
        return str(orders.get(order()["order"]["order_id"], {}).get("status", ""))

    checked: list[str] = []
    accounts_listed = 0
    for command in commands:
        bare = command.text.split("  #")[0].rstrip()  # the command without its trailing comment
        if bare.endswith("/v1/programs"):
            assert json.loads(shell.run(command))["programs"]
        elif bare.startswith("TOKEN="):
            shell.run(command)
            assert shell.variables["TOKEN"].count(".") == 2, "an ID token (a JWT)"
        elif "/v1/auth/sign-in" in bare:
            assert json.loads(shell.run(command))["id_token"]
        elif bare.endswith("/v1/accounts") and accounts_listed == 0:
            accounts_listed += 1
            accounts_before = {a["account_id"] for a in json.loads(shell.run(command))["accounts"]}
            assert demo_account in accounts_before
        elif "scripts.push_event" in bare:  # a push signed with the demo platform's own secret
            assert len(json.loads(shell.run(command))["accepted"]) == 1
        elif bare.endswith(f"/v1/accounts/{demo_account}"):
            assert json.loads(shell.run(command))["account"]["account_id"] == demo_account
        elif bare.endswith("| tee .local/order.json"):
            # run again, as a user would, while the gateway answers a function that timed out in its cold
            # start on a busy machine (502): the printed Idempotency-Key makes the repeat the same order
            placed = json.loads(again_until(shell, command, lambda answer: '"order":' in answer, 180))
            assert placed["order"]["status"] == "pending"
            assert placed["payment_url"].startswith(stripe_url)
        elif "payment_url" in bare:
            page = json.loads(shell.run(command, timeout=15))  # the page answers at once
            assert (page["status"], page["payment_status"]) == ("complete", "paid")
        elif bare.endswith("/v1/orders"):
            # Stripe's webhook, then provisioning: each a cold start (20+ s on a busy machine), then SQS
            again_until(shell, command, lambda answer: order_status(answer) in ("paid", "provisioned"), 240)
            again_until(shell, command, lambda answer: order_status(answer) == "provisioned", 240)
        elif bare.endswith("/v1/accounts"):
            listed = json.loads(shell.run(command))["accounts"]
            assert len({a["account_id"] for a in listed} - accounts_before) == 1, listed
        elif bare == ".venv/bin/python -m scripts.mailbox":
            listing = again_until(shell, command, lambda answer: "login for account" in answer, 180)
            to = re.escape(trader)
            assert re.search(rf"{to}  Receipt for your .+ challenge", listing), listing
            assert re.search(rf"{to}  Your Match-Trader login for account acc_", listing), listing
        elif bare == ".venv/bin/python -m scripts.mailbox --show 1":
            latest = shell.run(command)
            assert "\nFrom: " in latest and "\n-- \n" in latest, latest
        elif "-m websockets" in bare:
            assert command.typed, "the line to type is printed under the command"
            output = shell.interact(command, until="subscribed")
            assert re.search(r'"type":\s*"subscribed"', output), output
            assert f"account:{demo_account}" in output
        elif "stepfunctions" in bare:
            shell.run(command)  # the KYC gate starts (the trader's case, then the provider's session)
        elif bare.endswith("| tee .local/kyc.json"):
            linked = r'"verification_url": ?"'  # the provider's session is ready
            again_until(shell, command, lambda answer: bool(re.search(linked, answer)), 240)  # noqa: B023
        elif "outcome=approve" in bare:
            assert shell.run(command).strip(), "the provider's page answers"
        else:
            pytest.fail(f"a printed command this test does not check: {command.text}")
        checked.append(command.text)

    assert len(checked) == len(commands) >= 13
