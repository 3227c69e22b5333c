"""SQL text from the templates of ``monitoring/timeseries/sql/``: Jinja2 with one rule.

A template receives the *structure* of a statement, never a value: names of our own tables
and columns, counts (how many rollup segments, which raw range), flags, and the text of
statements rendered from these same templates. ``render`` refuses anything else, so every
value of a request can only reach a statement as a bind parameter (``:name``). Each file is
loaded once per process. Undefined names are errors (a typo never renders as an empty
string); nothing is escaped (this is SQL, not HTML); block tags leave no blank lines behind
(``trim_blocks``, ``lstrip_blocks``; a tag ending in ``+%}`` keeps its line break), and the
text has no trailing whitespace.
"""
from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).with_name("sql")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
    auto_reload=False,  # loaded once: a template never changes while the process runs
)


class RenderedSql(str):
    """Statement text rendered from the templates: what one template may embed of another."""


def _check_structural(value: object, path: str) -> None:
    """Raise unless ``value`` is structure only: a name, a number, a flag, None, rendered
    SQL, or tuples and lists of those."""
    if isinstance(value, RenderedSql) or value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str):
        if not NAME.fullmatch(value):
            raise ValueError(f"SQL template parameter {path} is not a name: {value!r}")
        return
    if isinstance(value, tuple | list):
        for index, item in enumerate(value):
            _check_structural(item, f"{path}[{index}]")
        return
    raise ValueError(f"SQL template parameter {path} is a {type(value).__name__}, not structure")


def render(template: str, **structure: object) -> RenderedSql:
    """The statement of ``template`` (a file of ``monitoring/timeseries/sql/``) for this
    structure; ValueError if any of it is not a name, a number, a flag or rendered SQL."""
    for name, value in structure.items():
        _check_structural(value, name)
    return RenderedSql(_environment.get_template(template).render(**structure).rstrip())
