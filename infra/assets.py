"""Deterministic Lambda assets: each function ships its own folder, the `functions` package marker and
the `propdesk` domain package (without the operator CLI); third-party packages come from the layer.

Staging is content-addressed in effect: a folder already holding exactly the wanted files is left alone, so
repeated synths (and parallel ones, e.g. tests while a deploy runs) see a stable tree and an unchanged hash.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from infra.config import PROJECT_ROOT

LEFT_OUT_OF_ASSETS = ("propdesk/cli.py", "propdesk/commands")
SKIPPED_NAMES = ("__pycache__", ".mypy_cache", ".pytest_cache")
SKIPPED_SUFFIXES = (".pyc", ".pyo")


class AssetError(RuntimeError):
    """A function's or the layer's source is missing."""


def function_sources(name: str, project_root: Path = PROJECT_ROOT) -> dict[str, Path]:
    """Map each file of the function's asset (path inside the asset) to its source file."""
    function_dir = project_root / "functions" / name
    if not (function_dir / "handler.py").is_file() and not (function_dir / "__init__.py").is_file():
        raise AssetError(f"functions/{name}/ is missing: every function in the stack needs its folder")
    sources = {"functions/__init__.py": project_root / "functions" / "__init__.py"}
    sources.update(_tree(function_dir, f"functions/{name}"))
    sources.update(
        (inside, path)
        for inside, path in _tree(project_root / "shared" / "propdesk", "propdesk")
        if not inside.startswith(LEFT_OUT_OF_ASSETS)
    )
    return dict(sorted(sources.items()))


def stage_function_asset(name: str, asset_root: Path, project_root: Path = PROJECT_ROOT) -> Path:
    """Copy the function's asset into `asset_root/name` (unless already identical) and return that folder."""
    sources = function_sources(name, project_root)
    target = asset_root / name
    if _holds_exactly(target, sources):
        return target
    asset_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=asset_root))
    staging.chmod(0o755)  # mkdtemp makes it private; Lambda's runtime user must be able to read the asset
    for inside, source in sources.items():
        destination = staging / inside
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    _swap_into_place(staging, target)
    return target


def layer_asset(layer_dir: Path) -> Path:
    """The dependency layer's folder (holding `python/...`), built by `make layer`."""
    if not layer_dir.is_dir():
        raise AssetError(
            f"the dependency layer {layer_dir} does not exist: run `make layer` "
            "(or pass `-c layer_dir=...` pointing at a folder that holds `python/`)"
        )
    return layer_dir


def _tree(root: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_NAMES)
        for file_name in sorted(files):
            if file_name.endswith(SKIPPED_SUFFIXES):
                continue
            path = Path(directory) / file_name
            yield f"{prefix}/{path.relative_to(root).as_posix()}", path


def _holds_exactly(target: Path, sources: dict[str, Path]) -> bool:
    if not target.is_dir():
        return False
    present = {path.relative_to(target).as_posix() for path in target.rglob("*") if path.is_file()}
    if present != set(sources):
        return False
    return all(filecmp.cmp(source, target / inside, shallow=False) for inside, source in sources.items())


def _swap_into_place(staging: Path, target: Path) -> None:
    retired = staging.with_name(staging.name + ".old")
    with contextlib.suppress(FileNotFoundError):
        target.rename(retired)
    try:
        staging.rename(target)
    except OSError:
        # A parallel synth put its copy in place between our two renames; its content is the same.
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(retired, ignore_errors=True)
