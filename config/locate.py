"""Where a config problem is: ``file:line: key.path: message``, and advice for YAML slips."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


def compose_file(file: Path) -> yaml.Node | None:
    """The YAML node tree of a config file, for :func:`locate`; None when unreadable."""
    try:
        return yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def locate(file: Path, root: yaml.Node | None, loc: tuple[str | int, ...], msg: str) -> str:
    """``file:line: key.path: msg`` for the node at ``loc`` (as deep as the file goes)."""
    node, key_path = _node_at(root, list(loc))
    line = f":{node.start_mark.line + 1}" if node is not None else ""
    where = f" {key_path}:" if key_path else ""
    return f"{file}{line}:{where} {msg}"


def _yaml_problem(file: Path, exc: yaml.YAMLError, text: str) -> str:
    """A YAML error in the operator's terms, at the line to fix."""
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", None) or exc)
    if mark is None:
        return f"{file}: not valid YAML: {problem}"
    lines = text.splitlines()
    number = mark.line + 1
    written = lines[mark.line] if mark.line < len(lines) else ""
    advice = _yaml_advice(problem, written)
    if advice == INDENT_ADVICE:
        number = _written_line(lines, mark.line)
    return f"{file}:{number}: {advice or f'not valid YAML: {problem}'}"


TAB_ADVICE = "a tab character: YAML indents with spaces only; replace the tab with spaces"
AT_ADVICE = (
    "a value starting with '@' must be quoted: put the whole query in single quotes, "
    "e.g. query: '@dirigeants_vn AND Chine'"
)
QUOTE_ADVICE = (
    "a value that starts with a quote but goes on after it must be quoted whole: put the "
    "whole query in single quotes, e.g. query: '\"Tô Lâm\" AND Chine'"
)
INDENT_ADVICE = (
    "this line is not indented like the lines around it: align it with the other keys of "
    "the same item (spaces only)"
)


def _yaml_advice(problem: str, written: str) -> str | None:
    """What to do about the usual slips; None for the others."""
    if "'\\t'" in problem or "\t" in written[: len(written) - len(written.lstrip())]:
        return TAB_ADVICE
    if "character '@'" in problem:
        return AT_ADVICE
    if "found '<scalar>'" in problem and re.search(r":\s+[\"'][^\"']*[\"']\s*\S", written):
        return QUOTE_ADVICE
    if "expected <block end>" in problem or "mapping values are not allowed" in problem:
        return INDENT_ADVICE
    return None


def _written_line(lines: list[str], index: int) -> int:
    """The 1-based number of the first line with content at or after ``index``."""
    for number in range(index, len(lines)):
        if lines[number].strip() and not lines[number].lstrip().startswith("#"):
            return number + 1
    return index + 1


def _pydantic_problem(file: Path, root: yaml.Node | None, error: Any) -> str:
    loc = tuple(part for part in error["loc"] if part != "path")
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling)"
    elif error["type"] == "missing":
        message = "required key is missing"
    return locate(file, root, loc, message)


def _node_at(root: yaml.Node | None, loc: list[Any]) -> tuple[yaml.Node | None, str]:
    """The deepest YAML node along a pydantic error location, and the dotted key path."""
    node = root
    path = ""
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node = child
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return node, path


def _child(node: yaml.Node | None, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                # the key's own line is more useful than the value's for a bad key
                return key if isinstance(value, yaml.ScalarNode) and value.value == "" else value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None
