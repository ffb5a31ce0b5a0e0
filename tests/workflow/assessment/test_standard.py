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


@pytest.mark.parametrize(
    ("item", "verbatim", "shown"),
    [
        (STANDARD.indicator("1.2"), "风险辨识工作工作方式方法", "风险辨识工作方式方法"),
        (STANDARD.indicator("2.5"), "安全社理念", "安全社区理念"),
        (STANDARD.bonus_item("B3"), "公共安全教育教育基地", "公共安全宣传教育基地场馆"),
    ],
    ids=["1.2", "2.5", "B3"],
)
def test_the_originals_slips_are_kept_in_the_file_and_shown_corrected(  # type: ignore[no-untyped-def]
    item, verbatim: str, shown: str
) -> None:
    """TERMS.md: the data keeps the table verbatim; the shown text is corrected (B3 as
    Art. 13(2) has it) with a note that the original reads otherwise."""
    assert verbatim in item.text_zh
    text = item.text("zh")
    assert text.endswith(f"（原表作“{verbatim}”）")
    assert shown in text and verbatim not in text.removesuffix(f"（原表作“{verbatim}”）")


def test_a_text_without_a_slip_is_shown_as_it_stands() -> None:
    assert STANDARD.indicator("2.4").text("zh") == STANDARD.indicator("2.4").text_zh


def test_a_slip_that_is_not_in_its_text_is_refused() -> None:
    data = json.loads(STANDARD_FILE.read_text(encoding="utf-8"))
    data["indicators"][1]["slip_zh"]["original"] = "不在原文中"
    with pytest.raises(StandardError, match=r"1\.2 slip not in its text"):
        parse_standard(data)
