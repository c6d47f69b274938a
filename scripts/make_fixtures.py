"""Writes fixtures/: synthetic PEPs with their expected outcomes, and a cohort file.

Run `python scripts/make_fixtures.py` after changing the schema or the generator, review the diff,
and commit. Every fixture is deterministic (seeded) and every person in it is invented.

Each `fixtures/peps/NAME.json` has `NAME.expected.json` beside it: whether it is valid, the exact
schema problems if not, and the QA outcome its authority's criteria should give (`rating` and the
ids of the criteria `not_met`), with a note saying why.
"""

from __future__ import annotations

import copy
import csv
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pep_docs.schema import get_pointer  # noqa: E402
from pep_docs.synthetic import VAGUE, _long_view, _weekdays_after, cohort_row_pointers, make_pep  # noqa: E402

OUT = ROOT / "fixtures"
TOP = {"bracknell-forest": "Green", "stockton-on-tees": "Green",
       "central-bedfordshire": "Good", "peterborough": "Green"}  # fmt: skip
SHORT = {"bracknell-forest": "bf", "stockton-on-tees": "st", "central-bedfordshire": "cb",
         "peterborough": "pb"}  # fmt: skip

# What each weakness costs under each authority's criteria: (rating, criteria not met).
WEAK = {
    "vague-targets": {
        "central-bedfordshire": ("Unsatisfactory", ["smart-targets"]),
        "stockton-on-tees": ("Red", ["smart-targets-ppp"]),
        "bracknell-forest": ("Red", ["smart-outcomes"]),
        "peterborough": ("Amber", ["smart-outcomes"]),
    },
    "no-child-voice": {
        "central-bedfordshire": ("Unsatisfactory", ["pupil-carer-views"]),
        "stockton-on-tees": ("Red", ["child-parent-carer-view"]),
        "bracknell-forest": ("Red", ["pupil-voice"]),
        "peterborough": ("Red", ["section-c"]),
    },
    "late-return": {
        "central-bedfordshire": ("Satisfactory", ["returned-on-time"]),
        "stockton-on-tees": ("Green", []),
        "bracknell-forest": ("Green", []),
        "peterborough": ("Amber", ["section-a-on-time"]),
    },
    "empty-optional": {
        # A review PEP with no record of last term's PP+ spend.
        "central-bedfordshire": ("Satisfactory", ["ppp-impact"]),
        # A year 10 child with no careers section.
        "stockton-on-tees": ("Amber", ["careers"]),
        "bracknell-forest": ("Green", []),
        "peterborough": ("Green", []),
    },
    "neet": {
        "central-bedfordshire": ("Good", []),
        "stockton-on-tees": ("Amber", ["prior-current-education"]),
        "bracknell-forest": ("Green", []),
        "peterborough": ("Green", []),
    },
}

NAMES = [("Łukasz", "Wiśniewski"), ("Thị Minh", "Nguyễn"), ("Ștefan", "Popescu"),
         ("Zoë", "O'Brien")]  # fmt: skip


def vague(pep: dict) -> None:
    for i, target in enumerate(pep["targets"]):
        area, text, measure = VAGUE[i % len(VAGUE)]
        target.update(area=area, target=text, success_measure=measure,
                      staff_actions="Support in class.", child_actions="Try harder.")  # fmt: skip
        target.pop("carer_actions", None)


def no_child_voice(pep: dict) -> None:
    pep["child_views"] = {"going_well": "OK.", "challenges": "Don't know."}


def late_return(pep: dict) -> None:
    meeting = date.fromisoformat(pep["meeting"]["date"])
    pep["qa"]["date_received"] = _weekdays_after(meeting, 12).isoformat()
    # Section A finished after the meeting: late for Peterborough.
    pep["social_care"]["completed_date"] = (meeting + timedelta(days=2)).isoformat()


def neet(pep: dict) -> None:
    setting = pep["education_setting"]
    previous = setting["name"]
    pep["education_setting"] = {
        "name": "No current setting (NEET)",
        "setting_type": "none",
        "eet_status": "neet",
        "neet_plan": "Weekly meetings with the personal adviser; apply to the Riverside College "
        "January start Level 1 course by 1 December; taster day booked for 24 November.",
        "previous_settings": [{"name": previous, "from_date": "2024-09-03",
                               "to_date": "2026-07-17", "reason_for_leaving": "Course ended"}],
    }  # fmt: skip


def hard_name(pep: dict, first: str, last: str) -> None:
    pep["child"]["first_name"], pep["child"]["last_name"] = first, last
    pep["meeting"]["attendees"][0]["name"] = f"{first} {last}"
    pep["contacts"]["carer"]["organisation"] = "O'Brien & <Co> Fostering"


def changed_school(pep: dict) -> None:
    setting = pep["education_setting"]
    setting["previous_settings"] = [{
        "name": "Westfield Primary School", "from_date": "2023-09-04", "to_date": "2026-10-09",
        "reason_for_leaving": "Placement move to a new foster home",
    }]  # fmt: skip
    setting["start_date"] = "2026-10-12"


def many_previous_targets(pep: dict) -> None:
    base = pep["previous_targets"] or [{"target": "Read daily.", "outcome": "achieved",
                                        "comment": "Reading log complete."}]  # fmt: skip
    pep["previous_targets"] = [
        dict(base[i % len(base)], target=f"{base[i % len(base)]['target']} (target {i + 1})")
        for i in range(7)
    ]


def long_views(pep: dict, rng: random.Random) -> None:
    pep["child_views"]["going_well"] = _long_view(rng)


def empty_optional(pep: dict) -> None:
    for key in ("parent_views", "achievements", "careers", "pupil_premium"):
        pep.pop(key, None)
    pep["send"] = {"status": "none"}
    pep["documents"] = [d for d in pep["documents"] if d["kind"] == "attendance_record"]
    pep["pupil_premium"] = {"request_amount": sum(t.get("ppp_amount", 0) for t in pep["targets"]),
                            "request_purpose": "Reading tuition for target 1."}  # fmt: skip
    # Achievements are where two authorities look for detail: keep them, optional or not.
    pep["achievements"] = {"achievements": "Received a headteacher's award for effort in October "
                           "and read aloud in a class assembly for the first time this term.",
                           "barriers": "Gaps in phonics from missed schooling."}  # fmt: skip


def build() -> list[tuple[str, dict, dict]]:
    out = []
    for a_i, authority in enumerate(SHORT):
        out.extend(build_authority(a_i, authority))
    return out


def build_authority(a_i: int, authority: str) -> list[tuple[str, dict, dict]]:
    out = []
    rng = random.Random(2026 + a_i)
    s = SHORT[authority]
    meeting = date(2026, 11, 3 + a_i)

    def pep(phase: str, n: int, **kw) -> dict:
        return make_pep(rng, authority, phase, meeting_date=meeting,
                        child_id=f"{s.upper()}{n:05d}", **kw)  # fmt: skip

    def add(name: str, doc: dict, note: str, qa: tuple[str, list[str]] | None = None) -> None:
        rating, not_met = qa or (TOP[authority], [])
        out.append((f"{s}-{name}", doc, {"valid": True, "problems": [],
                    "qa": {"rating": rating, "not_met": not_met}, "note": note}))  # fmt: skip

    add(
        "early-years-initial",
        pep("early_years", 1, meeting_type="initial", targets=3),
        "Strong initial early years PEP.",
    )
    add("early-years-review", pep("early_years", 2), "Strong early years review.")
    first, last = NAMES[a_i]
    doc = pep("school_age", 3)
    hard_name(doc, first, last)
    add("school-age-hard-name", doc, f"{first} {last}: characters outside Latin-1, & and <.")
    add(
        "school-age-ehcp",
        pep("school_age", 4, send_status="ehcp", targets=4),
        "A child with an EHCP, reflected in the PEP.",
    )
    doc = pep("school_age", 5)
    changed_school(doc)
    add("school-age-changed-school", doc, "Changed school mid-term (12 October).")
    doc = pep("school_age", 6, previous_targets=3)
    many_previous_targets(doc)
    add("school-age-many-previous-targets", doc, "Seven previous targets; the form has 4 rows.")
    doc = pep("school_age", 7)
    long_views(doc, rng)
    add("school-age-long-views", doc, "A child's view of over 2,000 characters in paragraphs.")
    doc = pep("school_age", 8, send_status="none")
    empty_optional(doc)
    add(
        "school-age-empty-optional",
        doc,
        "Optional sections left out (parent's views, careers, previous PP+ spend); where an "
        "authority's criteria ask for them, they are not met.",
        WEAK["empty-optional"][authority],
    )
    add("post-16", pep("post_16", 9), "Strong post-16 PEP in education.")
    doc = pep("post_16", 10)
    neet(doc)
    add(
        "post-16-neet",
        doc,
        "A NEET young person with a plan back into learning.",
        WEAK["neet"][authority],
    )
    for n, (case, change) in enumerate(
        [("vague-targets", vague), ("no-child-voice", no_child_voice),
         ("late-return", late_return)], start=11,
    ):  # fmt: skip
        doc = pep("school_age", n)
        change(doc)
        add(
            f"weak-{case}",
            doc,
            f"Deliberately weak: {case.replace('-', ' ')}.",
            WEAK[case][authority],
        )
    return out


def invalid(strong: dict) -> list[tuple[str, dict]]:
    bad = copy.deepcopy(strong)
    bad["meeting"]["date"] = "2026-11-31"
    bad["meeting"]["attendees"][1]["attendance"] = "late"
    bad["attendance"]["term_percent"] = 104
    bad["child_views"]["going_well"] = ""
    bad["child"]["nickname"] = "Mo"
    missing = copy.deepcopy(strong)
    del missing["school_views"]
    missing["targets"][0].pop("by_when")
    missing["phase"] = "post_16"
    return [("invalid-values", bad), ("invalid-missing", missing)]


def write_cohort(rng: random.Random) -> None:
    pointers = cohort_row_pointers()
    headers = [p[1:].replace("/", ".") for p in pointers]
    rows = []
    phases = ["school_age"] * 6 + ["early_years", "post_16"]
    for i in range(40):
        phase = phases[i % len(phases)]
        first, last = NAMES[i % 4] if i % 10 == 0 else (None, None)
        doc = make_pep(rng, "central-bedfordshire", phase, child_id=f"CB{i + 100:05d}",
                       first_name=first, last_name=last)  # fmt: skip
        rows.append(["" if get_pointer(doc, p) is None else get_pointer(doc, p) for p in pointers])
    with open(OUT / "cohort.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Cohort"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    # Fixed timestamps so the file is the same on every run.
    from datetime import datetime

    wb.properties.created = wb.properties.modified = datetime(2026, 11, 1)
    wb.save(OUT / "cohort.xlsx")


def main() -> None:
    peps = OUT / "peps"
    peps.mkdir(parents=True, exist_ok=True)
    for old in peps.glob("**/*.json"):
        old.unlink()
    built = build()
    for name, doc, expected in built:
        (peps / f"{name}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        (peps / f"{name}.expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    from pep_docs.validate import validate

    strong = next(doc for name, doc, _ in built if name == "cb-school-age-ehcp")
    (peps / "invalid").mkdir(exist_ok=True)
    for name, doc in invalid(strong):
        problems = [{"pointer": p.pointer, "label": p.label, "message": p.message}
                    for p in validate(doc)]  # fmt: skip
        expected = {"valid": False, "problems": problems, "note": "Deliberately invalid."}
        (peps / "invalid" / f"{name}.json").write_text(
            json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        )
        (peps / "invalid" / f"{name}.expected.json").write_text(
            json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
        )
    write_cohort(random.Random(40))
    print(f"wrote {len(built)} PEPs, 2 invalid PEPs and a cohort of 40 to {OUT}")


if __name__ == "__main__":
    main()
