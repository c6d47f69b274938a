"""The `pep-docs` command as a person runs it: output, exit status, one-line errors."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PEPS


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pep_docs", *args], capture_output=True, text=True, timeout=60
    )


def test_validate_lists_every_problem_and_exits_1():
    result = run("schema", "validate", str(PEPS / "invalid" / "invalid-missing.json"))
    assert result.returncode == 1
    assert result.stdout.splitlines()[1:] == [
        "  - Key contacts, Personal adviser is missing  [/contacts/personal_adviser]",
        "  - Education setting: 'Education, employment or training' is empty  "
        "[/education_setting/eet_status]",
        "  - School's views is missing  [/school_views]",
        "  - SMART targets, target 1: 'By when' is empty  [/targets/0/by_when]",
    ]


def test_validate_valid_documents_exits_0_with_a_summary():
    result = run("schema", "validate", str(PEPS / "cb-post-16.json"), str(PEPS / "pb-post-16.json"))
    assert (result.returncode, result.stdout.splitlines()[-1]) == (0, "2 valid, 0 with problems")


def test_unreadable_json_is_one_line_on_stderr_with_exit_2(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"authority": ')
    result = run("schema", "validate", str(bad))
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {bad}: not valid JSON: Expecting value at line 1, column 15\n"
    )


def test_outline_uses_an_authoritys_section_names_and_phase():
    result = run("schema", "--phase", "post_16", "--authority", "peterborough")
    assert result.returncode == 0
    assert "* Section C: Child's views  /child_views" in result.stdout.splitlines()
    assert "/child/upn" not in result.stdout and "/child/uln" in result.stdout


def test_authorities_lists_profiles():
    lines = run("authorities").stdout.splitlines()
    assert lines[0].split() == ["bracknell-forest", "Bracknell", "Forest", "Council"]
    assert "QA: Good / Satisfactory / Unsatisfactory (12 criteria)" in lines[3]
