"""Identifiers and their check characters: the unified social credit code
(GB 32100-2015) with the organisation code embedded in it (GB 11714-1997),
and the resident ID number (GB 11643-1999).

A credit code is 登记管理部门码 (1) + 机构类别码 (1) + 登记管理机关行政区划码 (6) +
主体标识码 (characters 9–17: the organisation code, 8 characters and its GB 11714
check character) + the GB 32100 check character (18th).
"""

from __future__ import annotations

from datetime import date

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORGANIZATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def credit_code_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015)."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def organization_code_check_character(first8: str) -> str:
    """The 9th character of an organisation code (GB 11714-1997): digits count 0–9 and
    letters 10–35 (A = 10 … Z = 35), weights 3, 7, 9, 10, 5, 8, 4, 2; the check is
    11 − (sum mod 11), written X for 10 and 0 for 11."""
    total = sum(int(ch, 36) * w for ch, w in zip(first8, _ORGANIZATION_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def make_credit_code(prefix: str, organization_body: str) -> str:
    """A credit code valid under both standards from its first 8 characters
    (`"91110105"`) and the 8 characters of the organisation code before its check
    character (`"MA01C8K2"`): `make_credit_code("91110105", "MA01C8K2")` ends `…MA01C8K2` +
    the GB 11714 character + the GB 32100 character."""
    first17 = prefix + organization_body + organization_code_check_character(organization_body)
    return first17 + credit_code_check_character(first17)


def id_number_check_character(first17: str) -> str:
    """The 18th character of a resident ID number (GB 11643-1999)."""
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_birth_date(number: str) -> date | None:
    """The birth date encoded in an ID number, or None if it is not a real date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid credit code (a catalogue key), or None if it is."""
    if len(code) != 18:
        return "registry.credit_code.length"
    if any(ch not in CREDIT_CODE_ALPHABET for ch in code):
        return "registry.credit_code.characters"
    organization_ok = organization_code_check_character(code[8:16]) == code[16]
    check_ok = credit_code_check_character(code[:17]) == code[17]
    if not organization_ok and not check_ok:
        return "registry.credit_code.both_checks"
    if not organization_ok:
        return "registry.credit_code.organization_code"
    if not check_ok:
        return "registry.credit_code.check"
    return None


def id_number_problem(number: str) -> str | None:
    """Why `number` is not a valid ID number (a catalogue key), or None if it is."""
    if len(number) != 18:
        return "registry.id_number.length"
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return "registry.id_number.characters"
    born = id_birth_date(number)
    if born is None or born.year < 1900 or born > date.today():
        return "registry.id_number.birth_date"
    if id_number_check_character(number[:17]) != number[17]:
        return "registry.id_number.check"
    return None


def is_valid_credit_code(code: str) -> bool:
    """18 characters from the GB 32100 alphabet, the embedded organisation code's check
    character right (GB 11714) and the 18th character right (GB 32100)."""
    return credit_code_problem(code) is None


def is_valid_id_number(number: str) -> bool:
    """18 characters, 17 digits then digit or X, a real birth date, the right check character."""
    return id_number_problem(number) is None


def id_gender(number: str) -> str:
    """男 or 女 from the 17th digit of an ID number (odd = male)."""
    return "男" if int(number[16]) % 2 == 1 else "女"
