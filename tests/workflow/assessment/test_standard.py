"""The standard file is the RULES.md table, and a broken one fails loudly at load."""

from __future__ import annotations

import copy
import json

import pytest

from workflow.assessment.standard import STANDARD, STANDARD_FILE, StandardError, parse_standard


def test_the_table_of_rules_md() -> None:
    assert STANDARD.codes == (
        *("1.1", "1.2", "1.3", "1.4"),
        *("2.1", "2.2", "2.3", "2.4", "2.5"),
        *("3.1", "3.2", "3.3", "3.4", "3.5"),
        *("4.1", "4.2", "4.3"),
    )
    assert [s.max for s in STANDARD.sections] == [25, 25, 20, 30]
    assert [i.max for i in STANDARD.indicators] == [
        5,
        7,
        7,
        6,
        5,
        5,
        5,
        5,
        5,
        4,
        4,
        4,
        4,
        4,
        10,
        10,
        10,
    ]
    assert STANDARD.questionnaire_codes == ("3.1", "3.2", "3.3", "3.4", "3.5")
    assert {i.method for i in STANDARD.indicators if i.section != 3} == {"materials"}
    assert STANDARD.bonus_codes == ("B1", "B2", "B3", "B4")
    assert [b.points for b in STANDARD.bonus] == [1, 2, 3, None]  # B4: the policy setting
    assert "安全社区创建指导策划项目数量不少于15个" in STANDARD.indicator("2.4").text_zh
    assert all(i.text_zh and i.text_en for i in STANDARD.indicators)


def _data() -> dict:
    return json.loads(STANDARD_FILE.read_text(encoding="utf-8"))


def test_a_section_not_summing_to_its_maximum_is_refused() -> None:
    data = _data()
    data["indicators"][0]["max"] = 6
    with pytest.raises(StandardError, match="section 1 indicators sum to 26, not 25"):
        parse_standard(data)


def test_a_repeated_code_is_refused() -> None:
    data = _data()
    data["indicators"][1]["code"] = "1.1"
    with pytest.raises(StandardError, match=r"indicator code repeated: 1\.1"):
        parse_standard(data)


def test_a_total_other_than_100_is_refused() -> None:
    data = copy.deepcopy(_data())
    data["sections"][3]["max"] = 35
    data["indicators"][-1]["max"] = 15
    with pytest.raises(StandardError, match="total must be 100"):
        parse_standard(data)


def test_an_unknown_method_is_refused() -> None:
    data = _data()
    data["indicators"][0]["method"] = "interview"
    with pytest.raises(StandardError, match="unknown method"):
        parse_standard(data)
