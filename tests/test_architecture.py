"""The house plan (docs/ARCHITECTURE.md) holds: import-linter's contracts pass on the tree, and
fail on a copy of the tree with one import that breaks them; no function is over 60 lines
outside bench/; no module file name means two things across packages."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["smallbatch", "querylog", "ingest", "rag", "serve", "eval", "tune", "reader", "cli"]
MAX_LINES = 60
# One meaning per name: the same file name in two packages is fine only for these conventions.
SHARED_NAMES = {"__init__.py", "commands.py", "errors.py"}
LINT = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=300)


def copy_tree(dst: Path) -> Path:
    for pkg in PACKAGES:
        if (ROOT / pkg).is_dir():
            shutil.copytree(ROOT / pkg, dst / pkg, ignore=shutil.ignore_patterns(
                "__pycache__", "static", "samples", "*.json", "*.png"))
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    return dst


def test_import_contracts_hold():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("module, bad_import", [
    ("smallbatch/leak.py", "import ingest.pipeline\n"),       # core importing a feature
    ("rag/leak.py", "import ingest.pipeline\n"),              # siblings in one layer
    ("serve/leak.py", "from eval import runner\n"),           # serve speaks over rag only
])
def test_import_contracts_catch_a_bad_import(tmp_path, module, bad_import):
    tree = copy_tree(tmp_path)
    (tree / module).write_text(bad_import)
    done = lint_imports(tree)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout and module.split("/")[0] in done.stdout


def python_files():
    for pkg in PACKAGES:
        yield from sorted((ROOT / pkg).rglob("*.py")) if (ROOT / pkg).is_dir() else []


def long_functions(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(root)}:{n.lineno} {n.name} ({n.end_lineno - n.lineno + 1} lines)"
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and n.end_lineno - n.lineno + 1 > MAX_LINES]


def test_no_function_over_sixty_lines():
    found = [f for path in python_files() for f in long_functions(path)]
    assert not found, "\n".join(found)


def test_long_function_check_can_fail(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES))
    (tmp_path / "long.py").write_text(f"def too_long():\n{body}\n\ndef short():\n    return 1\n")
    assert long_functions(tmp_path / "long.py", tmp_path) == ["long.py:1 too_long (61 lines)"]


def test_one_meaning_per_module_name():
    where = defaultdict(list)
    for path in python_files():
        rel = path.relative_to(ROOT)
        if len(rel.parts) == 2 and path.name not in SHARED_NAMES:  # top-level modules of a package
            where[path.name].append(str(rel))
    clashes = {name: paths for name, paths in where.items() if len(paths) > 1}
    assert not clashes, clashes
