"""What counts as an answer: present, substantive, long enough.

A returned form often has "N/A", "see above" or "tbc" where an answer should be; QA staff do not
count those, so neither does the checker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Whole answers that say nothing. Compared after lower-casing and trimming punctuation.
PLACEHOLDERS = frozenset(
    {
        "", "n/a", "na", "n.a", "none", "nil", "nothing", "not applicable", "not known",
        "unknown", "see above", "see below", "as above", "tbc", "tbd", "to follow",
        "to be confirmed", "to be completed", "-", "--", "?", "x", "...", "no comment",
        "no comments", "don't know", "dont know",
    }
)  # fmt: skip

_WORD = re.compile(r"[^\W_]+(?:['’.:%-][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """The words of a text (numbers, times and hyphenated words count as one word)."""
    return _WORD.findall(text)


def is_placeholder(text: str) -> bool:
    return text.strip().strip(".!").strip().lower() in PLACEHOLDERS


def answer_problem(
    value: Any, *, min_words: int | None = None, must_be_true: bool = False, free_text: bool = True
) -> str | None:
    """Why a value is not a substantive answer, in form words, or None when it is one.

    Placeholders and `min_words` concern free text only: a date, a time or a choice such as
    SEND status "none" is an answer however short it is.
    """
    if value is None:
        return "is empty"
    if must_be_true:
        return None if value is True else "is not answered Yes"
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None
    if isinstance(value, str):
        if not value.strip():
            return "is empty"
        if not free_text:
            return None
        if is_placeholder(value):
            return f"says only '{value.strip()}'"
        if min_words:
            n = len(words(value))
            if n < min_words:
                return f"has {n} word{'s' if n != 1 else ''} (at least {min_words} needed)"
        return None
    if isinstance(value, list):
        return None if value else "has no entries"
    if isinstance(value, Mapping):
        return None if any(answer_problem(v) is None for v in value.values()) else "is empty"
    return None


def is_answered(value: Any, min_words: int | None = None) -> bool:
    return answer_problem(value, min_words=min_words) is None
