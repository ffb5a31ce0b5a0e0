"""The unified social credit code is checked in full (RULES.md, Registration):
"its 18th character per GB 32100-2015 *and* the embedded organisation code
(characters 9–17) per GB 11714".

GB 11714-1997 (全国组织机构代码编制规则), 4.2 and 5: the organisation code is 8
本体代码 characters and one 校验码; digits count 0–9 and letters A–Z count
10–35; the weights are 3, 7, 9, 10, 5, 8, 4, 2; C9 = 11 − (Σ Ci × Wi mod 11),
written X when it is 10 and 0 when it is 11.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.demo.year import credit_code as demo_credit_code
from tests.builders import credit_code as builder_credit_code
from workflow.core.i18n import workflow_texts
from workflow.registry.forms import validate_form
from workflow.registry.identifiers import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_character,
    credit_code_problem,
    is_valid_credit_code,
    make_credit_code,
    organization_code_check_character,
)

ROOT = Path(__file__).resolve().parents[3]

REAL_CODES = (
    "91330100799655058B",  # 组织机构代码 79965505-8
    "9144030071526726XG",  # 71526726-X: the check 10 is written X
    "914403001922038216",  # 19220382-1
    "91110108551385082Q",  # 55138508-2
    "91110000100003495Y",  # 10000349-5
)
"""Credit codes of registered enterprises as printed on their business licences."""


def weighted(body: str) -> int:
    return sum(int(ch, 36) * w for ch, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_pass_both_checks(code: str) -> None:
    assert credit_code_problem(code) is None and is_valid_credit_code(code)
    assert organization_code_check_character(code[8:16]) == code[16]
    assert credit_code_check_character(code[:17]) == code[17]


def test_the_check_character_worked_by_hand() -> None:
    # 7×3 + 9×7 + 9×9 + 6×10 + 5×5 + 5×8 + 0×4 + 5×2 = 300; 300 mod 11 = 3; 11 − 3 = 8
    assert weighted("79965505") == 300
    assert organization_code_check_character("79965505") == "8"
    # letters count 10–35: M = 22, A = 10, C = 12, K = 20
    # 22×3 + 10×7 + 0×9 + 1×10 + 12×5 + 8×8 + 20×4 + 2×2 = 354; 354 mod 11 = 2; 11 − 2 = 9
    assert weighted("MA01C8K2") == 354
    assert organization_code_check_character("MA01C8K2") == "9"


def test_ten_is_written_x_and_eleven_zero() -> None:
    assert weighted("71526726") % 11 == 1  # 11 − 1 = 10 → X
    assert organization_code_check_character("71526726") == "X"
    assert weighted("00000000") % 11 == 0  # 11 − 0 = 11 → 0
    assert organization_code_check_character("00000000") == "0"


def test_the_docs_old_example_fails_the_organisation_code_only() -> None:
    # `91110105MA01C8K27U` has a right 18th character but MA01C8K2's check is 9, not 7
    assert credit_code_check_character("91110105MA01C8K27") == "U"
    assert credit_code_problem("91110105MA01C8K27U") == "registry.credit_code.organization_code"
    assert credit_code_problem("91110105MA01C8K292") is None


def test_each_kind_of_failure_has_its_own_key() -> None:
    good = "91330100799655058B"
    assert credit_code_problem(good[:17] + "C") == "registry.credit_code.check"
    # the organisation code's check wrong, the 18th recomputed to match: only 9–17 is wrong
    body = good[:16] + "7"
    assert credit_code_problem(body + credit_code_check_character(body)) == (
        "registry.credit_code.organization_code"
    )
    # a changed organisation-code character usually breaks both
    assert credit_code_problem("91330100799655068B") == "registry.credit_code.both_checks"
    assert credit_code_problem(good[:17]) == "registry.credit_code.length"
    assert credit_code_problem(good[:16] + "OB") == "registry.credit_code.characters"


@pytest.mark.parametrize(
    ("code", "key", "words"),
    [
        (
            "91110105MA01C8K27U",
            "registry.credit_code.organization_code",
            ("第 9–17 位", "组织机构代码", "GB 11714"),
        ),
        ("91330100799655058C", "registry.credit_code.check", ("第 18 位",)),
        ("91330100799655068B", "registry.credit_code.both_checks", ("第 17 位", "第 18 位")),
    ],
)
def test_the_refusal_names_the_part_that_is_wrong(
    code: str, key: str, words: tuple[str, ...]
) -> None:
    _, errors = validate_form("agency", {"credit_code": code})
    assert [e.key for e in errors if e.field == "credit_code"] == [key]
    (error,) = (e for e in errors if e.field == "credit_code")
    assert error.text("zh").startswith("统一代码：")
    assert all(word in error.text("zh") for word in words)
    assert error.text("en") != error.text("zh")
    assert workflow_texts.text(key, "zh") in error.text("zh")


@given(
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=8, max_size=8),
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=8, max_size=8),
)
def test_made_codes_pass_both_checks(prefix: str, body: str) -> None:
    code = make_credit_code(prefix, body)
    assert code[:16] == prefix + body and credit_code_problem(code) is None


@given(
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=8, max_size=8),
    st.integers(0, 7),
    st.sampled_from(CREDIT_CODE_ALPHABET),
)
def test_the_organisation_check_catches_a_change_unless_it_is_a_multiple_of_11(
    body: str, position: int, new: str
) -> None:
    """Letters count up to 35, so B (11) for 0 keeps the sum mod 11: GB 32100 catches those."""
    changed = body[:position] + new + body[position + 1 :]
    same = (int(new, 36) - int(body[position], 36)) % 11 == 0
    assert (
        organization_code_check_character(changed) == organization_code_check_character(body)
    ) == same


def test_every_generator_of_codes_makes_valid_ones() -> None:
    assert all(is_valid_credit_code(builder_credit_code(seed)) for seed in range(200))
    assert all(is_valid_credit_code(demo_credit_code(serial)) for serial in range(1, 200))


CODE_SHAPED = re.compile(
    r"(?<![0-9A-Za-z])(?=[0-9A-Z]*[A-Z])[0-9A-Z]{2}11\d{4}[0-9A-Z]{10}(?![0-9A-Za-z])"
)
"""An 18-character token that looks like a Beijing credit code (not an ID number: it has a
letter) — every one in the docs, the demo, the benches and the code must be valid."""


def test_every_example_code_in_docs_demo_benches_and_code_is_valid() -> None:
    files = [ROOT / "README.md"]
    for folder in ("docs", "bot", "bench", "workflow"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".md", ".py", ".json")]
    found = {
        (str(path.relative_to(ROOT)), token)
        for path in files
        for token in CODE_SHAPED.findall(path.read_text(encoding="utf-8"))
    }
    assert found, "the docs show example codes"
    assert [(path, code) for path, code in sorted(found) if not is_valid_credit_code(code)] == []
