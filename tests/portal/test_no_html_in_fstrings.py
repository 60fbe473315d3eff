"""No HTML is built in Python f-strings: markup lives in templates, or in format_html, which
escapes every value it is given (an f-string escapes only what someone remembered to)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[2] / "portal"
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*[\s>/]|&[a-z]+;")


def html_fstrings(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        and any(
            isinstance(part, ast.Constant) and TAG.search(str(part.value)) for part in node.values
        )
    ]


def test_the_portal_builds_no_html_in_fstrings():
    found = {
        str(path.relative_to(PORTAL.parent)): lines
        for path in sorted(PORTAL.rglob("*.py"))
        if "migrations" not in path.parts and (lines := html_fstrings(path))
    }

    assert found == {}


def test_the_check_sees_an_html_fstring(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('name = "x"\nhtml = f"<b>{name}</b>"\ntext = f"{name} items"\n')

    assert html_fstrings(sample) == [2]
