"""Every code example of the documentation runs, and prints what the page shows.

The ``python`` blocks of a page run in order in one namespace, in a temporary folder. A
``text`` block right after a ``python`` block is the output the page promises: it must match
what the block printed (doctest's rules: whitespace is normalised and ``...`` matches anything).
On the pages in :data:`SHELL_PAGES` the ``bash`` blocks run too, after the Python blocks before
them, and must succeed. The ``>>>`` examples of the API docstrings run as doctests.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))

import apigen  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n", flags=re.DOTALL | re.MULTILINE)
SHELL_PAGES = {"guide/cli.md"}
CHECKER = doctest.OutputChecker()
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _pages() -> list[str]:
    pages = []
    for path in sorted(DOCS.rglob("*.md")):
        rel = path.relative_to(DOCS).as_posix()
        if rel.startswith(("_", "api/", "notebooks/")):
            continue
        if "```python\n" in path.read_text(encoding="utf-8"):
            pages.append(rel)
    return pages


def blocks(text: str) -> list[tuple[str, str, int, str | None]]:
    """(language, code, line, expected output or None) of every fenced block."""
    found = [(m.group(1), m.group(2), m.start(), m.end()) for m in BLOCK.finditer(text)]
    out = []
    for i, (lang, code, start, end) in enumerate(found):
        expected = None
        if i + 1 < len(found) and found[i + 1][0] == "text":
            if text[end : found[i + 1][2]].strip() == "":
                expected = found[i + 1][1]
        out.append((lang, code, text[:start].count("\n") + 2, expected))
    return out


@pytest.fixture
def restore_torch_threads() -> Any:
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch else None
    yield
    torch = sys.modules.get("torch")
    if torch is not None and before is not None:
        torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.parametrize("page", _pages())
def test_page_examples_run(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_torch_threads: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    ran = 0
    for lang, code, line, expected in blocks((DOCS / page).read_text(encoding="utf-8")):
        where = f"docs/{page}:{line}"
        if lang == "python":
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                exec(compile(code, where, "exec"), namespace)  # noqa: S102 - the docs' own code
            ran += 1
            if expected is not None:
                got = buffer.getvalue()
                assert CHECKER.check_output(expected, got, FLAGS), (
                    f"{where} prints\n{got}\nbut the page shows\n{expected}"
                )
        elif lang == "bash" and page in SHELL_PAGES:
            proc = subprocess.run(
                ["bash", "-e", "-c", code], capture_output=True, text=True, env=env, timeout=600
            )
            assert proc.returncode == 0, f"{where} failed:\n{proc.stderr[-2000:]}"
            ran += 1
    assert ran


def test_output_blocks_are_paired_with_their_code() -> None:
    text = "```python\nprint(1)\n```\n\n```text\n1\n```\n\n```python\nx = 2\n```\n"
    assert [(b[0], b[3]) for b in blocks(text)] == [
        ("python", "1\n"),
        ("text", None),
        ("python", None),
    ]
    assert CHECKER.check_output("a ... c\n", "a b c\n", FLAGS)
    assert not CHECKER.check_output("a c\n", "a b c\n", FLAGS)
    assert "guide/recording.md" in _pages() and "guide/cli.md" in _pages()


@pytest.mark.slow
def test_docstring_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mmphate

    monkeypatch.chdir(tmp_path)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    examples = 0
    for entry in apigen.collect():
        if entry.is_home and entry.kind != "data":
            for test in finder.find(entry.obj, entry.qualname, globs={"mmphate": mmphate}):
                examples += len(test.examples)
                runner.run(test, out=report.write)
    assert examples, "no docstring examples found"
    assert runner.failures == 0, report.getvalue()
