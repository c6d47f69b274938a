"""Synthetic PEPs and cohorts: made-up children for fixtures, demos and benchmarks.

Every person, school and number here is invented. Phone numbers are in Ofcom's drama range
(01632 960xxx), email addresses use the reserved `.example` domain, URNs start with 9.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from pep_docs.schema import load_schema

FIRST = [
    "Amelia", "Oliver", "Jayden", "Aisha", "Kacper", "Ruby", "Tyler", "Maya", "Ethan", "Leah",
    "Callum", "Imani", "Harvey", "Skye", "Reuben", "Freya", "Kai", "Nadia", "Finley", "Ellis",
]  # fmt: skip
LAST = [
    "Okafor", "Hughes", "Patel", "Kowalski", "Popescu", "Ahmed", "Murphy", "Begum", "Clarke",
    "Ndlovu", "Ferreira", "Walsh", "Osei", "Thornton", "Baptiste", "Lindqvist", "Hale",
]  # fmt: skip
ADULT_FIRST = ["Sarah", "David", "Priya", "Mark", "Joanne", "Tomasz", "Grace", "Lee", "Fatima"]
SCHOOLS = {
    "early_years": [("Little Acorns Nursery", "early_years"), ("Meadowbrook Primary School", "mainstream")],
    "primary": [
        ("Meadowbrook Primary School", "mainstream"),
        ("St Aidan & St Hilda C of E Primary School", "mainstream"),
        ("Oakridge Special School", "special"),
    ],
    "secondary": [
        ("Hollyfield Academy", "academy"),
        ("Kingsmead & Vale School", "mainstream"),
        ("Oakridge Special School", "special"),
        ("Northgate Learning Centre", "alternative_provision"),
    ],
    "post_16": [("Riverside College", "college"), ("Brookvale Sixth Form", "sixth_form")],
}  # fmt: skip
ETHNICITY = ["White British", "Black African", "Mixed White and Black Caribbean", "Pakistani",
             "White Other", "Gypsy/Roma", "Bangladeshi", "Any other mixed background"]  # fmt: skip
LANGUAGE = ["English", "English", "English", "Polish", "Romanian", "Urdu", "Somali"]

SMART = {
    "literacy": (
        "Read a book at his current reading level aloud to an adult for 15 minutes, four times "
        "a week, and answer three questions about what happened.",
        "Reading age rises by at least 6 months on the next Salford test; the reading log "
        "shows four sessions a week.",
        "Teaching assistant runs three 20-minute one-to-one reading sessions a week.",
        "Reads for 15 minutes at home four nights a week and fills in the reading log.",
        "Listens to reading four nights a week and signs the reading log.",
    ),
    "numeracy": (
        "Learn the 6, 7 and 8 times tables and use them to solve two-step word problems in "
        "maths lessons.",
        "Scores 45 out of 50 or more on the weekly times-tables check for three weeks running.",
        "Maths teacher sets 10 minutes of times-tables practice on the school app each day.",
        "Practises times tables on the app for 10 minutes a day.",
        "Checks the app each weekend and praises progress.",
    ),
    "wellbeing": (
        "Use the agreed calm-down card to leave the classroom and go to the nurture room when "
        "upset, instead of leaving the school site.",
        "No more than 2 recorded incidents of leaving the site each half term, down from 6 "
        "last term, as recorded on the behaviour log.",
        "Learning mentor meets her every Monday for 30 minutes to practise the plan.",
        "Shows the card to the teacher and walks to the nurture room.",
        "Talks through the day each evening and tells the school of any worries.",
    ),
    "attendance": (
        "Arrive at school by 8:45 every day and attend every session.",
        "Attendance of 95% or more this term, up from 88%, on the school register.",
        "Attendance officer phones home by 9:15 on any day he is absent.",
        "Sets an alarm for 7:15 and gets ready the night before.",
        "Drives him to the school gate by 8:40 each morning.",
    ),
    "careers": (
        "Complete a five-day work experience placement at a local garage and write a CV that "
        "lists it.",
        "Placement completed with a signed employer feedback form; CV checked by the careers "
        "adviser.",
        "Careers adviser arranges the placement and meets her twice to write the CV.",
        "Attends every day of the placement on time and drafts the CV.",
        "Helps her plan the bus journey to the placement.",
    ),
    "early_years": (
        "Use two-word phrases such as 'more juice' or 'help me' to ask for what he needs "
        "during nursery sessions.",
        "Key person records at least ten two-word requests a week for four weeks running.",
        "Key person models two-word phrases during snack and play every session.",
        "Joins in with singing and naming games at nursery.",
        "Names objects and uses two-word phrases during bath time and meals each day.",
    ),
}  # fmt: skip
VAGUE = [
    ("wellbeing", "Improve behaviour.", "Behaviour gets better."),
    ("numeracy", "Try harder in maths.", "Teacher is happy."),
    ("literacy", "Be more confident.", "More confident."),
]
ACADEMIC = {"school_age": ["literacy", "numeracy"], "early_years": ["early_years"],
            "post_16": ["careers"]}  # fmt: skip

VIEWS = {
    "child_going_well": "I like art and PE the most and I have two good friends in my class "
    "who I play football with at lunch.",
    "child_challenges": "Maths is hard when we do fractions and I get cross when the classroom "
    "is noisy and I cannot concentrate.",
    "child_aspirations": "I want to get better at reading so I can read the Harry Potter books "
    "and one day I want to be a vet.",
    "child_support": "Having my own quiet space to work and more time with Miss Hart helps me.",
    "child_take_part": "I want to come to the start of the meeting and say my views myself, "
    "then go back to class.",
    "carer_going_well": "He is much more settled at home and now reads with me most evenings "
    "before bed without being asked.",
    "carer_challenges": "Mornings are still difficult and he worries about tests, which "
    "sometimes means he does not want to go in.",
    "carer_aspirations": "We hope he keeps his friendships and grows in confidence, and we "
    "would like him to join a sports club.",
    "carer_home": "We read together four nights a week and use the maths app on Sundays.",
    "school_going_well": "He has settled well into his class, has made two close friends and "
    "is making good progress in reading since September.",
    "school_support_offered": "Three one-to-one reading sessions a week with a teaching "
    "assistant, a weekly mentor meeting and a quiet workspace when needed.",
    "school_support_needed": "Support with emotional regulation at unstructured times, "
    "especially lunchtime.",
    "contextual": "The child moved to the current foster placement in the summer and has "
    "settled well. Family time with mum takes place fortnightly at the contact centre and "
    "is going well. There are no court proceedings this term.",
    "attainment_summary": "Good progress in reading from the September baseline and steady "
    "progress in maths; writing remains an area for development against national "
    "expectations.",
    "achievements": "Received a headteacher's award for effort in October, joined the "
    "football club and read aloud in a class assembly for the first time.",
    "strengths": "Creative, kind to younger pupils, enjoys drawing and football.",
    "barriers": "Gaps in phonics from missed schooling and anxiety about tests.",
    "wellbeing": "Generally happy in school; becomes anxious before tests and at lunchtime.",
    "send_provision": "Speech and language therapy twice a term and a daily visual timetable; "
    "targets 1 and 2 are linked to the communication outcomes in the EHCP.",
}  # fmt: skip


def _long_view(rng: random.Random) -> str:
    paragraphs = [
        "I have been at this school since September and at first I did not like it because I "
        "did not know anybody and the building is really big and confusing. Now I know my way "
        "around and I have friends called Sam and Priya who sit with me at lunch.",
        "The thing I like most is art with Mr Dale because he lets us choose what to draw and "
        "he put my drawing of the canal on the wall outside the office. I also like PE when we "
        "do football but not when we do gymnastics because I feel silly.",
        "Maths is the hardest thing. When we do fractions I do not understand and I do not "
        "like asking in front of everyone so I just copy. It helps when Miss Hart sits with "
        "me and shows me with the blocks. I would like that to happen more often.",
        "At home it is good. My carer helps me read and we go swimming on Saturdays. I see my "
        "mum every other week and that is nice but sometimes afterwards I feel sad and I do "
        "not want to go to school the next day.",
        "When I am older I want to be a vet or work with animals at a farm. I know I need to "
        "get good at science for that, so I want to try harder in science and maybe go to the "
        "science club on Thursdays if I can get a lift home afterwards.",
        "Something else that is going well is my reading. In September I did not like reading "
        "out loud, but now I read to Miss Hart three times a week and she says my reading age "
        "has gone up. I am reading a book about a boy who runs away to sea and I want to find "
        "out what happens, so sometimes I read it in bed even when I am supposed to be asleep.",
        "I also got a certificate in assembly for being kind to a Year 7 who was lost on his "
        "first day. I showed him where the library was and where to get lunch. I remember how "
        "scary it was when I started, so I wanted to help him. My carer put the certificate on "
        "the fridge and my social worker said she was proud of me when she visited.",
        "In my next PEP I want to come to the first part of the meeting and say these things "
        "myself, but I do not want to stay for the whole thing because it is boring when "
        "everyone talks about forms. I would like Miss Hart to sit next to me.",
    ]
    return "\n\n".join(paragraphs)


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _nc_year_for(born: date, term_start: date) -> str:
    age_at_sept = _age_on(
        born, date(term_start.year if term_start.month >= 9 else term_start.year - 1, 8, 31)
    )
    if age_at_sept < 3:
        return "pre_school"
    if age_at_sept == 3:
        return "nursery"
    if age_at_sept == 4:
        return "reception"
    return f"year_{min(age_at_sept - 4, 14)}"


def _weekdays_after(start: date, n: int) -> date:
    d = start
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def _weekday_on_or_after(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def person(rng: random.Random, surname: str | None = None) -> str:
    return f"{rng.choice(ADULT_FIRST)} {surname or rng.choice(LAST)}"


def contact(rng: random.Random, organisation: str, name: str | None = None) -> dict[str, str]:
    name = name or person(rng)
    local = name.lower().replace(" ", ".").replace("'", "")
    return {
        "name": name,
        "organisation": organisation,
        "email": f"{local}@{organisation.lower().split()[0].strip('&')}.example",
        "phone": f"01632 960{rng.randrange(0, 1000):03d}",
    }


def make_pep(
    rng: random.Random,
    authority: str,
    phase: str,
    *,
    term: str = "2026-autumn",
    meeting_date: date = date(2026, 11, 10),
    child_id: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    meeting_type: str = "review",
    send_status: str = "sen_support",
    targets: int = 3,
    previous_targets: int = 2,
    return_weekdays: int = 3,
) -> dict[str, Any]:
    """A complete, strong PEP: every criterion of every authority met, unless changed after."""
    schema_id = load_schema()["$id"]
    first = first_name or rng.choice(FIRST)
    last = last_name or rng.choice(LAST)
    age = {"early_years": rng.choice([2, 3, 4]), "school_age": rng.randint(6, 15),
           "post_16": rng.choice([16, 17])}[phase]  # fmt: skip
    born = date(meeting_date.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
    if _age_on(born, meeting_date) != age:
        born = born.replace(year=born.year + 1)
    nc_year = _nc_year_for(born, meeting_date)
    if phase == "post_16" and nc_year not in ("year_12", "year_13"):
        nc_year = "year_12"
    stage = phase if phase != "school_age" else ("primary" if age <= 10 else "secondary")
    school, setting_type = rng.choice(SCHOOLS[stage])
    la = {"bracknell-forest": "Bracknell Forest", "stockton-on-tees": "Stockton-on-Tees",
          "central-bedfordshire": "Central Bedfordshire", "peterborough": "Peterborough"}.get(
        authority, authority.replace("-", " ").title())  # fmt: skip
    sw = contact(rng, f"{la} Children's Services")
    dt = contact(rng, school)
    carer = contact(rng, "Foster carer", person(rng))
    vs = contact(rng, f"{la} Virtual School")
    next_date = _weekday_on_or_after(meeting_date + timedelta(days=rng.choice([84, 91, 98])))
    pep: dict[str, Any] = {
        "$schema": schema_id,
        "authority": authority,
        "phase": phase,
        "term": term,
        "child_id": child_id or f"C{rng.randrange(100000, 999999)}",
        "meeting": {
            "type": meeting_type,
            "date": meeting_date.isoformat(),
            "time": rng.choice(["09:30", "10:00", "13:30", "14:15"]),
            "venue": rng.choice([school, "Online (Teams)"]),
            "chair_name": vs["name"],
            "chair_role": "virtual_school",
            "attendees": [
                {"name": f"{first} {last}", "role": "child", "attendance": "present"},
                {
                    "name": dt["name"],
                    "role": "designated_teacher",
                    "organisation": school,
                    "attendance": "present",
                },
                {
                    "name": sw["name"],
                    "role": "social_worker",
                    "organisation": sw["organisation"],
                    "attendance": "present",
                },
                {"name": carer["name"], "role": "carer", "attendance": "present"},
                {
                    "name": vs["name"],
                    "role": "virtual_school",
                    "organisation": vs["organisation"],
                    "attendance": "present",
                },
            ],
            "next_meeting": {"date": next_date.isoformat(), "time": "10:00", "venue": school},
        },  # fmt: skip
        "child": {
            "first_name": first,
            "last_name": last,
            "date_of_birth": born.isoformat(),
            "gender": rng.choice(["female", "male"]),
            "ethnicity": rng.choice(ETHNICITY),
            "first_language": rng.choice(LANGUAGE),
            "nc_year": nc_year,
        },
        "social_care": {
            "legal_status": rng.choice(["care_order", "s20", "interim_care_order"]),
            "date_entered_care": (
                meeting_date - timedelta(days=rng.randint(200, 1800))
            ).isoformat(),
            "placement_type": rng.choice(["foster_in_house", "foster_agency", "kinship"]),
            "placement_start_date": (
                meeting_date - timedelta(days=rng.randint(60, 400))
            ).isoformat(),
            "placements_count": rng.randint(1, 4),
            "contextual_information": VIEWS["contextual"],
            "completed_date": (meeting_date - timedelta(days=rng.randint(3, 10))).isoformat(),
        },
        "contacts": {
            "social_worker": sw,
            "designated_teacher": dt,
            "carer": carer,
            "virtual_school_adviser": vs,
            "iro": contact(rng, f"{la} IRO Service"),
        },
        "education_setting": {
            "name": school,
            "urn": f"9{rng.randrange(10000, 99999)}",
            "setting_type": setting_type,
            "start_date": date(meeting_date.year - rng.randint(0, 2), 9, 3).isoformat(),
            "out_of_authority": rng.random() < 0.3,
        },
        "attendance": {
            "term_percent": round(rng.uniform(91, 100), 1),
            "year_percent": round(rng.uniform(90, 99), 1),
            "sessions_missed": rng.randint(0, 8),
            "unauthorised_sessions": 0,
            "suspensions": 0,
            "suspension_days": 0,
            "permanent_exclusion": False,
        },
        "send": {"status": send_status},
        "wellbeing": {"emotional_wellbeing": VIEWS["wellbeing"]},
        "attainment": {"summary": VIEWS["attainment_summary"]},
        "child_views": {
            "going_well": VIEWS["child_going_well"],
            "challenges": VIEWS["child_challenges"],
            "aspirations": VIEWS["child_aspirations"],
            "support_wanted": VIEWS["child_support"],
            "participation": "attended_part",
            "how_to_take_part": VIEWS["child_take_part"],
        },
        "carer_views": {
            "going_well": VIEWS["carer_going_well"],
            "challenges": VIEWS["carer_challenges"],
            "aspirations": VIEWS["carer_aspirations"],
            "support_at_home": VIEWS["carer_home"],
        },
        "parent_views": {"sought": False, "reason_not_sought": "Mum did not wish to contribute."},
        "school_views": {
            "going_well": VIEWS["school_going_well"],
            "support_offered": VIEWS["school_support_offered"],
            "support_needed": VIEWS["school_support_needed"],
        },
        "achievements": {
            "achievements": VIEWS["achievements"],
            "strengths_interests": VIEWS["strengths"],
            "barriers": VIEWS["barriers"],
        },
        "previous_targets": [],
        "targets": [],
        "pupil_premium": {},
        "documents": [],
        "qa": {"date_received": _weekdays_after(meeting_date, return_weekdays).isoformat()},
    }
    if phase != "post_16":
        pep["child"]["upn"] = (
            f"{rng.choice('ABHKNT')}{rng.randrange(10**10, 10**11):011d}{rng.choice('0123456789A')}"
        )
    else:
        pep["child"]["uln"] = f"{rng.randrange(10**9, 10**10)}"
        pep["contacts"]["personal_adviser"] = contact(rng, f"{la} Leaving Care Team")
        pep["education_setting"]["course"] = "Level 2 Motor Vehicle Maintenance"
        pep["education_setting"]["eet_status"] = "education"
        pep["meeting"]["attendees"].append(
            {"name": pep["contacts"]["personal_adviser"]["name"], "role": "personal_adviser",
             "attendance": "present"})  # fmt: skip
    if 4 <= age <= 17:
        pep["wellbeing"].update(
            sdq_score=rng.randint(6, 22),
            sdq_date=(meeting_date - timedelta(days=rng.randint(20, 150))).isoformat(),
            sdq_informant="carer",
        )
    if phase == "school_age":
        pep["attainment"]["subjects"] = [
            {"subject": s, "baseline": b, "current": c, "target": t, "against_national": n}
            for s, b, c, t, n in [
                ("English reading", "WTS", "EXS", "EXS", "at"),
                ("English writing", "WTS", "WTS", "EXS", "working_towards"),
                ("Maths", "WTS", "EXS", "EXS", "at"),
            ]
        ]
        years = max(5, age - rng.randint(0, 2))
        pep["attainment"]["reading_age"] = {
            "years": years, "months": rng.randint(0, 11),
            "test_date": (meeting_date - timedelta(days=30)).isoformat(), "test_name": "Salford",
        }  # fmt: skip
    if phase == "early_years":
        pep["attainment"]["early_years"] = [
            {"area": a, "band": "22 to 36 months", "on_track": "on_track"}
            for a in ("communication_language", "personal_social_emotional", "physical")
        ]
    if phase in ("school_age", "post_16"):
        pep["careers"] = {
            "aspirations": "Wants to train as a vehicle technician and work at a main dealer.",
            "guidance_received": "Met the school careers adviser in October; visited Riverside "
            "College open evening.",
            "work_experience": "Five days at a local garage planned for the spring term.",
            "next_steps": "Apply for the Level 2 course and an apprenticeship by January.",
        }  # fmt: skip
    if send_status in ("sen_support", "ehcp", "ehcp_assessment"):
        pep["send"]["primary_need"] = rng.choice(["slcn", "semh", "spld", "asd"])
        pep["send"]["provision"] = VIEWS["send_provision"]
        pep["documents"].append({"title": "SEN support plan, autumn 2026", "kind": "sen_support_plan",
                                 "date": (meeting_date - timedelta(days=40)).isoformat()})  # fmt: skip
    if send_status == "ehcp":
        pep["send"].update(
            ehcp_start_date=(meeting_date - timedelta(days=900)).isoformat(),
            ehcp_last_review=(meeting_date - timedelta(days=120)).isoformat(),
            ehcp_next_review=(meeting_date + timedelta(days=245)).isoformat(),
        )
        pep["documents"].append({"title": "EHCP (latest annual review)", "kind": "ehcp"})
    pep["documents"].append(
        {"title": "Attendance record, autumn term", "kind": "attendance_record"}
    )
    by_when = _weekday_on_or_after(next_date - timedelta(days=rng.randint(7, 14))).isoformat()
    areas = ACADEMIC[phase] + ["wellbeing", "attendance"]
    total = 0
    for i in range(targets):
        area = areas[i % len(areas)]
        text, measure, staff, child, carer_action = SMART[area]
        amount = [300, 250, 0, 150, 100][i % 5]
        total += amount
        pep["targets"].append({
            "area": area, "target": text, "success_measure": measure, "by_when": by_when,
            "staff_actions": staff, "child_actions": child, "carer_actions": carer_action,
            "ppp_amount": amount,
        })  # fmt: skip
    pep["pupil_premium"] = {
        "request_amount": total,
        "request_purpose": "One-to-one reading tuition and mentoring sessions that support "
        "targets 1 and 2.",
    }
    if meeting_type != "initial":
        for i in range(previous_targets):
            area = list(SMART)[i % len(SMART)]
            pep["previous_targets"].append({
                "target": SMART[area][0],
                "outcome": ["achieved", "partly_achieved", "not_achieved"][i % 3],
                "comment": "Reading log and class assessments show steady progress; continue.",
            })  # fmt: skip
        pep["pupil_premium"]["previous_spend"] = [
            {"item": "Reading tuition, 10 sessions", "amount": 400,
             "impact": "Reading age rose by 7 months between September and November."},
        ]  # fmt: skip
    return pep


def cohort_row_pointers() -> list[str]:
    """The prepopulated fields a cohort file carries, as pointers, derived from the schema.

    A cohort file holds what the authority already knows about each child: the fields whose
    form hint says `prepopulated`, outside tables, plus the document's identity fields.
    """
    from pep_docs.schema import Field, load_model

    model = load_model()
    pointers = [f.pointer for f in model.header if f.pointer != "/$schema"]
    for node in model.walk():
        if isinstance(node, Field) and node.prepopulated and "*" not in node.pointer:
            if node.pointer not in pointers and not node.hidden:
                pointers.append(node.pointer)
    return pointers


COHORT_PHASES = ("school_age",) * 6 + ("early_years", "post_16")


def write_cohort(
    path, children: int, *, authority: str = "central-bedfordshire", seed: int = 0
) -> None:
    """A cohort CSV of `children` made-up children of one authority, as a case-management
    export would look (`cohort_row_pointers` as dotted headers); the same file for a seed.

    Phases mix as in a real Virtual School (six school-age children to one early years and
    one post-16); every tenth child has a name outside ASCII.
    """
    import csv

    from pep_docs.schema import get_pointer

    rng = random.Random(seed)
    pointers = cohort_row_pointers()
    names = [("Łukasz", "Wiśniewski"), ("Thị Minh", "Nguyễn"), ("Ștefan", "Popescu")]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([p[1:].replace("/", ".") for p in pointers])
        for i in range(children):
            first, last = names[i // 10 % 3] if i % 10 == 0 else (None, None)
            doc = make_pep(rng, authority, COHORT_PHASES[i % len(COHORT_PHASES)],
                           child_id=f"SYN{i:06d}", first_name=first, last_name=last)  # fmt: skip
            writer.writerow(["" if get_pointer(doc, p) is None else get_pointer(doc, p)
                             for p in pointers])  # fmt: skip
