"""The questionnaire is data: five items feeding 3.1–3.5, a labelled 0–4 scale, zh and en."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from surveys.questionnaire import SOURCE, parse, questionnaire


def test_five_items_feed_the_questionnaire_indicators_in_order() -> None:
    form = questionnaire()
    assert [item.number for item in form.items] == [1, 2, 3, 4, 5]
    assert form.indicators == ("3.1", "3.2", "3.3", "3.4", "3.5")
    assert form.item(5).short == {"zh": "廉洁自律", "en": "Integrity"}


def test_every_item_and_point_has_chinese_and_english_text() -> None:
    form = questionnaire()
    for item in form.items:
        assert item.text["zh"] and item.text["en"] and item.short["zh"] and item.short["en"]
    assert [form.label(points, "zh") for points in range(5)] == [
        "很不满意",
        "不满意",
        "一般",
        "满意",
        "很满意",
    ]
    assert form.label(4, "en") == "Very satisfied"


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda d: d["items"].pop(), "numbered 1 to 5"),
        (lambda d: d["items"][2].update(indicator="3.9"), "indicators 3.1 to 3.5"),
        (lambda d: d["items"][0]["text"].pop("en"), "item 1 text"),
        (lambda d: d["scale"].pop(0), "0 to 4 points"),
    ],
)
def test_a_broken_questionnaire_file_is_refused_with_a_clear_error(breakage, message) -> None:
    data = copy.deepcopy(json.loads(SOURCE.read_text(encoding="utf-8")))
    breakage(data)
    with pytest.raises(ValueError, match=message):
        parse(data)


@pytest.mark.parametrize(
    "catalogue",
    [
        "surveys/locales/{}/surveys.json",
        "bot/locales/{}/survey.json",
        "workflow/locales/{}/units.json",
    ],
)
def test_chinese_and_english_texts_have_the_same_keys_and_placeholders(catalogue: str) -> None:
    root = Path(__file__).resolve().parents[2]
    zh, en = (
        json.loads((root / catalogue.format(lang)).read_text("utf-8")) for lang in ("zh", "en")
    )
    assert set(zh) == set(en)
    for key in zh:
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key
