"""Run the ministack emulator on a clean interpreter, so Lambda workers see only their own code and layer.

ministack starts each Python Lambda worker with `sys.executable`. This launcher runs on an empty virtual
environment (`.local/runtime`) and puts the emulator's packages on *its own* `sys.path` only (not PYTHONPATH),
so the workers it spawns do not inherit them: a handler that imports something its layer lacks fails here
exactly as it would in AWS.

Every new execution environment (a cold start: each concurrent invocation beyond the idle ones) extracts its
function's code and layers from their zips inside the emulator's one process: the dependencies layer alone is
5,600 files, 1 to 4 s of CPU per cold start, so a burst of cold starts starved everything else. Here each zip
is extracted once (`SharedExtraction`) and every environment gets links to that copy: the same files, read
only as on AWS (where layers are mounted read-only at /opt), and the bytecode the first environment compiled.

The emulator ignores a function that fails under `lambda:invoke.waitForTaskToken` and leaves its task
waiting for a token nobody will send (until the task's timeout: days for a payment). On AWS the task fails
(`States.TaskFailed`, which the state machine retries). `fail_callback_tasks_of_failed_functions` makes the
emulator do the same.

Usage: .local/runtime/bin/python launcher.py <ministack site-packages dir>
"""

import hashlib
import os
import sys
import tempfile
import threading
import zipfile
from typing import Any

WORKER_DIR_PREFIX = "ministack-lambda-"  # ministack's per-environment directory (its code and layer_N zips)


class SharedExtraction:
    """`ZipFile.extractall` for a Lambda environment's code and layers: the first extraction of a zip's
    content goes to a shared directory, and each environment's target gets a link per top-level entry."""

    def __init__(self, root: str) -> None:
        self._root = root
        self._lock = threading.Lock()
        self._original = zipfile.ZipFile.extractall

    def install(self) -> None:
        shared = self

        def extractall(
            archive: zipfile.ZipFile, path: Any = None, members: Any = None, pwd: Any = None
        ) -> None:
            target = os.fspath(path) if path is not None else os.getcwd()
            if members is not None or pwd is not None or not shared.is_environment_dir(target):
                shared._original(archive, path, members, pwd)
                return
            shared.link(archive, target)

        zipfile.ZipFile.extractall = extractall  # type: ignore[method-assign,assignment]

    @staticmethod
    def is_environment_dir(target: str) -> bool:
        """`<tmp>/ministack-lambda-<function>-<random>/code` or `.../layer_<n>`."""
        parent, name = os.path.split(os.path.normpath(target))
        return os.path.basename(parent).startswith(WORKER_DIR_PREFIX) and (
            name == "code" or name.startswith("layer_")
        )

    def link(self, archive: zipfile.ZipFile, target: str) -> None:
        content = hashlib.sha256()
        for info in archive.infolist():  # the central directory: names, checksums and sizes, no data read
            content.update(f"{info.filename}\0{info.CRC}\0{info.file_size}\n".encode())
        extracted = os.path.join(self._root, content.hexdigest())
        with self._lock:
            if not os.path.isdir(extracted):
                partial = f"{extracted}.partial"
                self._original(archive, partial)
                os.rename(partial, extracted)
        os.makedirs(target, exist_ok=True)
        for entry in os.listdir(extracted):
            os.symlink(os.path.join(extracted, entry), os.path.join(target, entry))


def fail_callback_tasks_of_failed_functions(stepfunctions: Any) -> None:
    """Wrap the emulator's Lambda call of its Step Functions: when the function fails and its payload carries
    the token of a task still waiting (the callback pattern), that task fails with the function's error."""
    call_lambda = stepfunctions._call_lambda

    def call_failing_its_task(function: Any, payload: Any) -> Any:
        try:
            return call_lambda(function, payload)
        except stepfunctions._ExecutionError as failure:
            values = payload.values() if isinstance(payload, dict) else ()
            for value in values:
                waiting = stepfunctions._task_tokens.get(value) if isinstance(value, str) else None
                if waiting is not None and waiting.get("result") is None and waiting.get("error") is None:
                    waiting["error"] = {"Error": failure.error, "Cause": failure.cause}
                    waiting["event"].set()
            raise

    stepfunctions._call_lambda = call_failing_its_task


def main() -> None:
    sys.path.append(sys.argv[1])
    del sys.argv[1]
    root = tempfile.mkdtemp(prefix="propdesk-extracted-")
    SharedExtraction(root).install()
    from ministack.services import stepfunctions  # type: ignore[import-not-found]

    fail_callback_tasks_of_failed_functions(stepfunctions)
    from ministack.app import main as run_ministack  # type: ignore[import-not-found]

    run_ministack()


if __name__ == "__main__":
    main()
