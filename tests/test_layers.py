"""The layers run one way (docs: ARCHITECTURE): ``properties`` → ``randomgames`` → ``mpgverify``.

Nothing in ``mpgverify/`` imports ``randomgames`` or ``properties`` — not at the top of a module and
not lazily inside a function — and nothing in ``randomgames/`` imports ``properties``. Read from the
source with ``ast``, so an import hidden in a function body counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"mpgverify": ("randomgames", "properties"), "randomgames": ("properties",)}


def _imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_goes_up_a_layer(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, module in _imports(path)
        if module.split(".")[0] in FORBIDDEN[package]
    ]
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_imports_inside_functions(tmp_path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    import randomgames as rg\n    from properties import x\n")
    assert [m for _, m in _imports(module)] == ["randomgames", "properties"]
