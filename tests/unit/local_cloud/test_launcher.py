"""The local cloud's launcher (scripts/local_cloud/launcher.py): it extracts each Lambda zip once and links
every new execution environment to that copy (the same files; other extractions are left as they were), and
a function that fails under the callback pattern fails its waiting task, as on AWS."""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.local_cloud.launcher import SharedExtraction, fail_callback_tasks_of_failed_functions


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[SharedExtraction]:
    original = zipfile.ZipFile.extractall
    extraction = SharedExtraction(str(tmp_path / "shared"))
    (tmp_path / "shared").mkdir()
    extraction.install()
    yield extraction
    zipfile.ZipFile.extractall = original  # type: ignore[method-assign]


def a_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def environment(tmp_path: Path, n: int, kind: str) -> Path:
    return tmp_path / f"ministack-lambda-propdesk-dev-orders-api-{n:08d}" / kind


LAYER = {"python/pydantic/__init__.py": "VERSION = 2\n", "python/boto3/__init__.py": ""}


def test_two_environments_share_one_extraction_of_the_same_layer(
    shared: SharedExtraction, tmp_path: Path
) -> None:
    layer = a_zip(tmp_path / "layer.zip", LAYER)
    first, second = environment(tmp_path, 1, "layer_0"), environment(tmp_path, 2, "layer_0")

    for target in (first, second):
        with zipfile.ZipFile(layer) as archive:
            archive.extractall(target)

    assert (second / "python" / "pydantic" / "__init__.py").read_text() == "VERSION = 2\n"
    assert (first / "python").resolve() == (second / "python").resolve()
    assert len(list((tmp_path / "shared").iterdir())) == 1


def test_different_content_gets_its_own_copy(shared: SharedExtraction, tmp_path: Path) -> None:
    code_v1 = a_zip(tmp_path / "v1.zip", {"functions/handler.py": "ANSWER = 1\n"})
    code_v2 = a_zip(tmp_path / "v2.zip", {"functions/handler.py": "ANSWER = 2\n"})

    for n, code in enumerate((code_v1, code_v2)):
        with zipfile.ZipFile(code) as archive:
            archive.extractall(environment(tmp_path, n, "code"))

    assert (environment(tmp_path, 1, "code") / "functions" / "handler.py").read_text() == "ANSWER = 2\n"
    assert len(list((tmp_path / "shared").iterdir())) == 2


def test_any_other_extraction_is_a_plain_copy(shared: SharedExtraction, tmp_path: Path) -> None:
    layer = a_zip(tmp_path / "layer.zip", LAYER)

    with zipfile.ZipFile(layer) as archive:
        archive.extractall(tmp_path / "elsewhere")

    assert not (tmp_path / "elsewhere" / "python").is_symlink()
    assert list((tmp_path / "shared").iterdir()) == []


# ---- a failed function under the callback pattern fails its task, as on AWS


class ExecutionError(Exception):
    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error, self.cause = error, cause


class Emulator:
    """The part of the emulator's Step Functions module the launcher wraps."""

    _ExecutionError = ExecutionError

    def __init__(self, fails: bool) -> None:
        self.fails = fails
        self._task_tokens: dict[str, dict[str, object]] = {}

    def _call_lambda(self, function: str, payload: object) -> object:
        if self.fails:
            raise ExecutionError("Sandbox.Timedout", "Task timed out after 30.00 seconds")
        return {"ok": True}


def waiting(emulator: Emulator, token: str) -> threading.Event:
    event = threading.Event()
    emulator._task_tokens[token] = {"event": event, "result": None, "error": None}
    return event


def test_a_function_that_fails_under_the_callback_pattern_fails_its_waiting_task() -> None:
    emulator = Emulator(fails=True)
    event = waiting(emulator, "token-1")
    fail_callback_tasks_of_failed_functions(emulator)

    with pytest.raises(ExecutionError):
        emulator._call_lambda("payout-steps", {"step": "pay", "task_token": "token-1"})

    assert event.is_set()
    assert emulator._task_tokens["token-1"]["error"] == {
        "Error": "Sandbox.Timedout", "Cause": "Task timed out after 30.00 seconds"
    }  # fmt: skip


def test_a_task_already_resumed_or_a_function_that_answers_is_left_alone() -> None:
    emulator = Emulator(fails=True)
    event = waiting(emulator, "token-1")
    emulator._task_tokens["token-1"]["result"] = "{}"  # SendTaskSuccess came first
    fail_callback_tasks_of_failed_functions(emulator)

    with pytest.raises(ExecutionError):
        emulator._call_lambda("payout-steps", {"task_token": "token-1"})
    emulator.fails = False
    assert emulator._call_lambda("payout-steps", {"task_token": "token-1"}) == {"ok": True}

    assert not event.is_set() and emulator._task_tokens["token-1"]["error"] is None
