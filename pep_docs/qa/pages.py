"""HTML pages of the checker and the cohort report, from the Jinja templates beside this module.

Autoescaping is on for every template: PEP text is typed by people and is never markup.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_page(name: str, **context: Any) -> str:
    return _environment().get_template(name).render(**context)
