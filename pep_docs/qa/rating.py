"""An authority's rating from its criteria: the first level whose conditions hold.

Each profile lists its levels best first (`qa.rating`): a level may allow at most
`max_not_met` criteria not met and may insist that some criteria (`must_meet`) are met; the last
level has no conditions. Criteria that do not apply to a PEP count as neither.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _why_not(level: Mapping[str, Any], not_met: Sequence[str]) -> str | None:
    """Why a level's conditions fail, or None when they hold."""
    reasons = []
    limit = level.get("max_not_met")
    if limit is not None and len(not_met) > limit:
        allowed = "none" if limit == 0 else f"at most {limit}"
        reasons.append(f"{len(not_met)} not met ({allowed} allowed)")
    missed = [cid for cid in level.get("must_meet", []) if cid in not_met]
    if missed:
        reasons.append(f"{', '.join(missed)} must be met")
    return "; ".join(reasons) or None


def decide(rating: Sequence[Mapping[str, Any]], not_met: Sequence[str]) -> tuple[str, str]:
    """The level and a sentence saying why: which better levels were missed and why."""
    passed_over = []
    for level in rating:
        why = _why_not(level, not_met)
        if why is None:
            if not not_met:
                reason = "every criterion that applies is met"
            else:
                reason = (
                    f"{len(not_met)} criteria not met"
                    if len(not_met) > 1
                    else "1 criterion not met"
                )
            if passed_over:
                reason += "; not " + "; not ".join(passed_over)
            return level["level"], reason[0].upper() + reason[1:] + "."
        passed_over.append(f"{level['level']}: {why}")
    raise ValueError("the last rating level must have no conditions")
