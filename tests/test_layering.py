"""The core and the sync engine never load Textual; the core never imports sync or screens."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_core_and_sync_import_without_textual() -> None:
    code = (
        "import sys, pkgutil, importlib, magnet, sync\n"
        "for pkg in (magnet, sync):\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if info.name not in ('magnet.cli', 'magnet.__main__'):\n"
        "            importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.') or m.startswith('screens'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_core_modules_do_not_import_sync_or_screens() -> None:
    offenders = []
    for path in (ROOT / "magnet").rglob("*.py"):
        if path.name in ("cli.py", "__main__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in ("sync", "screens", "textual")
            ]
    assert offenders == []


def test_sync_does_not_import_screens() -> None:
    offenders = []
    for path in (ROOT / "sync").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("screens", "textual"):
                offenders.append(str(path))
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] in ("screens", "textual") for a in node.names):
                offenders.append(str(path))
    assert offenders == []
