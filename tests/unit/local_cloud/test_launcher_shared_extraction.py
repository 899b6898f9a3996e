"""The local cloud's launcher extracts each Lambda zip once and links every new execution environment to that
copy (scripts/local_cloud/launcher.py): the environment sees the same files; other extractions are left as
they were."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.local_cloud.launcher import SharedExtraction


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
