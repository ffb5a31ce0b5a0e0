"""The agency and consultant registry: the two registration forms (单位登记表,
人员登记表), their validation, and the Art. 9 materials checklist.

Check characters: unified social credit code per GB 32100-2015, resident ID
number per GB 11643-1999. Every validation error names the field by its label
on the official form and comes from the `registry` catalogue. Service functions
flush but never commit: the caller owns the transaction (`workflow.db.transaction`).
ID numbers and phones leave this module masked (`agency_public_dict`,
`consultant_public_dict`); error messages never repeat them.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from workflow.clock import utcnow
from workflow.db import as_row_id
from workflow.errors import InvalidInput, NotFound, Refused
from workflow.i18n import workflow_texts
from workflow.models import MATERIALS, Agency, Application, Consultant
from workflow.privacy import mask_id, mask_phone

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def credit_code_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015)."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


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
    if credit_code_check_character(code[:17]) != code[17]:
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
    """18 characters from the GB 32100 alphabet with the right check character."""
    return credit_code_problem(code) is None


def is_valid_id_number(number: str) -> bool:
    """18 characters, 17 digits then digit or X, a real birth date, the right check character."""
    return id_number_problem(number) is None


def id_gender(number: str) -> str:
    """男 or 女 from the 17th digit of an ID number (odd = male)."""
    return "男" if int(number[16]) % 2 == 1 else "女"


def is_senior_title(title: str) -> bool:
    """Whether a professional title is senior (高级职称): 正高级/副高级/高级…, 教授, 副教授,
    研究员, 副研究员. Assistant and trainee grades (助理研究员, 实习研究员) are not."""
    text = title.strip()
    if not text or text.startswith(("助理", "实习")):
        return False
    return any(word in text for word in ("高级", "正高", "副高", "教授")) or text.endswith("研究员")


# ---------------------------------------------------------------------------
# Form fields and labels
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FormField:
    """One field of a form: its attribute name, how to read it, whether it is required."""

    name: str
    kind: str
    required: bool = False


AGENCY_FORM: tuple[FormField, ...] = (
    FormField("name", "text", True),
    FormField("address", "text", True),
    FormField("licence_place", "text", True),
    FormField("credit_code", "credit_code", True),
    FormField("postcode", "postcode", True),
    FormField("legal_representative", "text", True),
    FormField("office_phone", "phone", True),
    FormField("fax", "landline"),
    FormField("principal", "text", True),
    FormField("principal_mobile", "mobile", True),
    FormField("principal_office_phone", "phone"),
    FormField("principal_fax", "landline"),
    FormField("performance_summary", "long_text"),
)
"""The agency form (单位登记表), in the order of the official form."""

AGENCY_FACTS: tuple[FormField, ...] = (
    FormField("independent_legal_person", "bool"),
    FormField("fixed_office", "bool"),
    FormField("business_scope", "long_text"),
    FormField("service_since", "past_date"),
    FormField("admin_staff", "text"),
    FormField("process_docs_complete", "bool"),
    FormField("licences_complete", "bool"),
    FormField("violation_record", "long_text"),
)
"""The facts Art. 8 asks about that the agency states itself."""

JUDGEMENT: tuple[FormField, ...] = (
    FormField("familiar_judgement", "optional_bool"),
    FormField("familiar_judged_by", "text"),
)
"""The experts' judgement (Art. 8(3)); an admin may record it at registration."""

CHECKLIST: tuple[FormField, ...] = tuple(FormField(name, "bool") for name in MATERIALS)
"""The Art. 9 materials checklist of the application."""

CONSULTANT_FORM: tuple[FormField, ...] = (
    FormField("name", "text", True),
    FormField("gender", "gender", True),
    FormField("birth_date", "birth_date", True),
    FormField("photo", "text"),
    FormField("employer_department", "text"),
    FormField("position", "text"),
    FormField("title", "text"),
    FormField("senior_title", "optional_bool"),
    FormField("specialty", "text"),
    FormField("address", "text"),
    FormField("postcode", "postcode"),
    FormField("mobile", "mobile", True),
    FormField("email", "email"),
    FormField("id_number", "id_number", True),
    FormField("school", "text"),
    FormField("education", "text"),
    FormField("degree", "text"),
    FormField("certificates", "long_text"),
    FormField("years_consulting", "years"),
    FormField("cv", "long_text"),
    FormField("pledge_date", "past_date"),
)
"""The consultant form (人员登记表), in the order of the official form."""

FORMS: dict[str, tuple[FormField, ...]] = {
    "agency": AGENCY_FORM + AGENCY_FACTS + JUDGEMENT,
    "application": CHECKLIST,
    "consultant": CONSULTANT_FORM,
}
_MODELS: dict[str, type[SQLModel]] = {
    "agency": Agency,
    "application": Application,
    "consultant": Consultant,
}


def label(form: str, name: str, language: str | None = None) -> str:
    """The label of a form field in `language` (Chinese: as printed on the official form)."""
    try:
        return workflow_texts.text(f"registry.label.{form}.{name}", language)
    except KeyError:
        return name


FIELD_LABELS: dict[str, dict[str, str]] = {
    form: {f.name: label(form, f.name, "zh") for f in fields} for form, fields in FORMS.items()
}
"""Chinese labels of every form field: `FIELD_LABELS["agency"]["credit_code"] == "统一代码"`,
`FIELD_LABELS["consultant"]["id_number"] == "身份证号"`, `FIELD_LABELS["application"][material]`."""


def _max_length(form: str, name: str) -> int | None:
    column = _MODELS[form].__table__.c[name]  # type: ignore[attr-defined]
    length = getattr(column.type, "length", None)
    return length if isinstance(length, int) else None


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one field; rendered in any language on demand."""

    field: str
    key: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)
    form: str = "agency"

    def label_in(self, language: str | None = None) -> str:
        return label(self.form, self.field, language)

    def message_in(self, language: str | None = None) -> str:
        return workflow_texts.text(self.key, language, **self.params)

    def text(self, language: str | None = None) -> str:
        """`身份证号：校验位不符…` — the label and the message."""
        return workflow_texts.text(
            "registry.field_error",
            language,
            label=self.label_in(language),
            message=self.message_in(language),
        )

    @property
    def label(self) -> str:
        return self.label_in()

    @property
    def message(self) -> str:
        return self.message_in()

    def __str__(self) -> str:
        return self.text()


class FormErrors(InvalidInput):
    """A form was refused: every field error at once, nothing written."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        super().__init__("registry.form_errors")
        self.errors: tuple[FieldError, ...] = tuple(errors)

    def message(self, language: str | None = None) -> str:
        separator = workflow_texts.text("registry.separator", language)
        details = separator.join(error.text(language) for error in self.errors)
        return workflow_texts.text(
            "registry.form_errors", language, count=len(self.errors), details=details
        )


class _Bad(Exception):
    """One field's value is wrong (internal: becomes a FieldError)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# ---------------------------------------------------------------------------
# Reading one value
# ---------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"(?:0\d{2,3}-?|\(0\d{2,3}\))\d{7,8}(?:-\d{1,6})?")
_POSTCODE = re.compile(r"\d{6}")
_EMAIL = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
)
_NUMBER_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "postcode": (_POSTCODE,),
    "mobile": (_MOBILE,),
    "landline": (_LANDLINE,),
    "phone": (_LANDLINE, _MOBILE),
}
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_YES = {"是", "yes", "y", "true", "1", "√", "✓"}
_NO = {"否", "no", "n", "false", "0", "×", "✗"}


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_text(value: object, *, multiline: bool = False) -> str:
    """Trimmed Unicode text; refuses undecodable bytes and control characters."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise _Bad("registry.invalid.not_utf8") from None
    if isinstance(value, bool):
        raise _Bad("registry.invalid.text")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    if not isinstance(value, str | int | float):
        raise _Bad("registry.invalid.text")
    text = str(value)
    if "\ufffd" in text:
        raise _Bad("registry.invalid.not_utf8")
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cs":  # a lone surrogate: bytes that were not UTF-8
            raise _Bad("registry.invalid.not_utf8")
        if category == "Cc" and ch not in "\n\r\t":
            raise _Bad("registry.invalid.control", code=f"U+{ord(ch):04X}")
    return text


def _as_code(value: object) -> str:
    """Text for codes and numbers: full-width forms folded, spaces removed, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _as_text(value))).upper()


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", _as_text(value))
    match = _DATE_TEXT.fullmatch(text)
    if not match:
        raise _Bad("registry.invalid.date")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise _Bad("registry.invalid.date_unreal", text=text) from None


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _as_bool(value: object) -> bool | None:
    if _is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
    raise _Bad("registry.invalid.bool")


def read_yes_no(value: object) -> bool | None:
    """是/否, yes/no, true/false, 1/0 as a bool; blank or anything else is None."""
    try:
        return _as_bool(value)
    except _Bad:
        return None


def _read(kind: str, value: object, today: date) -> object:
    """The stored form of one value of the given kind, or `_Bad`."""
    if kind in ("bool", "optional_bool"):
        answer = _as_bool(value)
        return bool(answer) if kind == "bool" else answer
    if kind in ("date", "past_date", "birth_date"):
        day = _as_date(value)
        if kind != "date" and day > today:
            raise _Bad("registry.invalid.future", day=day.isoformat())
        if day.year < 1900:
            raise _Bad("registry.invalid.date_too_old", day=day.isoformat())
        if kind == "birth_date" and not 18 <= _age(day, today) <= 100:
            raise _Bad("registry.invalid.age", age=_age(day, today))
        return day
    if kind == "years":
        text = _as_code(value).removesuffix("年")
        if not text.isdigit() or not 0 <= int(text) <= 80:
            raise _Bad("registry.invalid.years")
        return int(text)
    if kind == "id_number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise _Bad("registry.id_number.not_text")
        number = _as_code(value)
        problem = id_number_problem(number)
        if problem:
            raise _Bad(problem, length=len(number))
        return number
    if kind == "credit_code":
        code = _as_code(value)
        problem = credit_code_problem(code)
        if problem:
            raise _Bad(problem, length=len(code))
        return code
    if kind in _NUMBER_PATTERNS:
        text = _as_code(value)
        if not any(pattern.fullmatch(text) for pattern in _NUMBER_PATTERNS[kind]):
            raise _Bad(f"registry.invalid.{kind}")
        return text
    if kind == "email":
        text = unicodedata.normalize("NFKC", _as_text(value)).lower()
        if not _EMAIL.fullmatch(text):
            raise _Bad("registry.invalid.email")
        return text
    if kind == "gender":
        text = _as_text(value)
        if text not in ("男", "女"):
            raise _Bad("registry.invalid.gender")
        return text
    return _as_text(value, multiline=kind == "long_text")


def check_field(
    form: str, name: str, value: object, *, today: date | None = None
) -> tuple[Any, FieldError | None]:
    """One field of a form: its stored value (None if blank), or what is wrong with it."""
    spec = next(f for f in FORMS[form] if f.name == name)
    if _is_blank(value) and spec.kind not in ("bool", "optional_bool"):
        missing = FieldError(name, "registry.invalid.required", {}, form)
        return None, missing if spec.required else None
    try:
        result = _read(spec.kind, value, today or date.today())
    except _Bad as bad:
        return None, FieldError(name, bad.key, bad.params, form)
    limit = _max_length(form, name)
    if isinstance(result, str) and limit is not None and len(result) > limit:
        return None, FieldError(
            name, "registry.invalid.too_long", {"limit": limit, "n": len(result)}, form
        )
    return result, None


def validate_form(
    form: str, values: Mapping[str, object], *, today: date | None = None
) -> tuple[dict[str, Any], list[FieldError]]:
    """Check every field of one form; return the cleaned values and ALL the errors.

    Fields left out (or blank) take the model's default unless required. A name
    that is not a field of the form is an error too, so nothing is silently lost.
    """
    names = [f.name for f in FORMS[form]]
    cleaned: dict[str, Any] = {}
    errors = [
        FieldError(name, "registry.invalid.unknown_field", {"name": name}, form)
        for name in values
        if name not in names
    ]
    for spec in FORMS[form]:
        if spec.name not in values and not spec.required:
            continue
        result, error = check_field(form, spec.name, values.get(spec.name), today=today)
        if error is not None:
            errors.append(error)
        elif result is not None:
            cleaned[spec.name] = result
    return cleaned, errors


def validate_agency_fields(
    fields: Mapping[str, object], *, today: date | None = None
) -> tuple[dict[str, Any], dict[str, bool], list[FieldError]]:
    """The agency form + Art. 8 facts, and the Art. 9 checklist given with it.

    Returns (agency values, checklist values, errors)."""
    materials = {name: value for name, value in fields.items() if name in MATERIALS}
    rest = {name: value for name, value in fields.items() if name not in MATERIALS}
    agency, errors = validate_form("agency", rest, today=today)
    checklist, checklist_errors = validate_form("application", materials, today=today)
    return agency, checklist, errors + checklist_errors


def validate_consultant_fields(
    fields: Mapping[str, object], *, today: date | None = None
) -> tuple[dict[str, Any], list[FieldError]]:
    """The consultant form, with the cross-checks of the ID number against the
    birth date and gender given; `senior_title` defaults from the title."""
    cleaned, errors = validate_form("consultant", fields, today=today)
    number = cleaned.get("id_number")
    if number:
        born = cleaned.get("birth_date")
        if born is not None and id_birth_date(number) != born:
            errors.append(
                FieldError(
                    "id_number",
                    "registry.id_number.birth_mismatch",
                    {"born": born.isoformat()},
                    "consultant",
                )
            )
        gender = cleaned.get("gender")
        if gender and id_gender(number) != gender:
            errors.append(
                FieldError(
                    "id_number",
                    "registry.id_number.gender_mismatch",
                    {"gender": gender},
                    "consultant",
                )
            )
    if cleaned.get("senior_title") is None:
        cleaned["senior_title"] = is_senior_title(cleaned.get("title", ""))
    return cleaned, errors


# ---------------------------------------------------------------------------
# Looking things up
# ---------------------------------------------------------------------------


def find_agency(session: Session, ref: str | int) -> Agency:
    """The agency by numeric id or by unified social credit code."""
    agency: Agency | None = None
    text = unicodedata.normalize("NFKC", str(ref)).strip().upper()
    if len(text) == 18:
        agency = session.exec(select(Agency).where(Agency.credit_code == text)).first()
    elif (row_id := as_row_id(text)) is not None:
        agency = session.get(Agency, row_id)
    if agency is None:
        raise NotFound("registry.agency_not_found", ref=ref)
    return agency


def list_agencies(session: Session, status: str | None = None) -> list[Agency]:
    """Agencies by id, optionally only those in one lifecycle state."""
    query = select(Agency).order_by(col(Agency.id))
    if status:
        query = query.where(Agency.status == status)
    return list(session.exec(query).all())


def consultants_of(session: Session, agency_id: int) -> list[Consultant]:
    """The agency's consultants in the order they were added."""
    query = select(Consultant).where(Consultant.agency_id == agency_id).order_by(col(Consultant.id))
    return list(session.exec(query).all())


def current_application(session: Session, agency_id: int) -> Application:
    """The newest application of the agency."""
    application = session.exec(
        select(Application)
        .where(Application.agency_id == agency_id)
        .order_by(col(Application.applied_at).desc(), col(Application.id).desc())
    ).first()
    if application is None:
        raise NotFound("registry.no_application", agency=agency_id)
    return application


def missing_materials(application: Application) -> list[str]:
    """The Art. 9 materials not yet ticked, in the order of the article."""
    return [name for name in MATERIALS if not getattr(application, name)]


# ---------------------------------------------------------------------------
# Changing the registry (flush, never commit)
# ---------------------------------------------------------------------------


def duplicate_credit_code(session: Session, code: str) -> FieldError | None:
    """The error for a credit code another agency already has, or None."""
    existing = session.exec(select(Agency).where(Agency.credit_code == code)).first()
    if existing is None:
        return None
    return FieldError(
        "credit_code", "registry.duplicate_credit_code", {"name": existing.name, "id": existing.id}
    )


def duplicate_id_number(session: Session, agency_id: int, number: str) -> FieldError | None:
    """The error for an ID number the agency already has a consultant with, or None."""
    existing = session.exec(
        select(Consultant).where(Consultant.agency_id == agency_id, Consultant.id_number == number)
    ).first()
    if existing is None:
        return None
    return FieldError(
        "id_number", "registry.duplicate_id_number", {"name": existing.name}, "consultant"
    )


def register_agency(
    session: Session, fields: Mapping[str, object], *, today: date | None = None
) -> Agency:
    """A new agency (state `applied`) with its first application, all fields checked.

    `fields` holds the agency form, the Art. 8 facts, optionally the experts'
    `familiar_judgement` and the Art. 9 checklist items (False unless given).
    Raises `FormErrors` with every field error; nothing is added then."""
    values, checklist, errors = validate_agency_fields(fields, today=today)
    code = values.get("credit_code")
    if code:
        duplicate = duplicate_credit_code(session, code)
        if duplicate:
            errors.append(duplicate)
    if errors:
        raise FormErrors(errors)
    if values.get("familiar_judgement") is not None:
        values["familiar_judged_at"] = utcnow()
    agency = Agency(**values)
    session.add(agency)
    try:
        session.flush()
    except IntegrityError:
        # another session registered the same code between our check and our insert
        raise FormErrors(
            [FieldError("credit_code", "registry.duplicate_credit_code_now")]
        ) from None
    assert agency.id is not None
    application = Application(agency_id=agency.id)
    for name, ticked in checklist.items():
        setattr(application, name, ticked)
    session.add(application)
    session.flush()
    return agency


def add_consultant(
    session: Session,
    agency_id: int,
    fields: Mapping[str, object],
    *,
    today: date | None = None,
) -> Consultant:
    """A consultant of the agency, every field checked; the same ID number twice
    in one agency is refused."""
    if session.get(Agency, agency_id) is None:
        raise NotFound("registry.agency_not_found", ref=agency_id)
    values, errors = validate_consultant_fields(fields, today=today)
    number = values.get("id_number")
    duplicate = duplicate_id_number(session, agency_id, number) if number else None
    if duplicate:
        errors.append(duplicate)
    if errors:
        raise FormErrors(errors)
    consultant = Consultant(agency_id=agency_id, **values)
    session.add(consultant)
    try:
        session.flush()
    except IntegrityError:
        raise FormErrors(
            [FieldError("id_number", "registry.duplicate_id_number_now", {}, "consultant")]
        ) from None
    return consultant


def set_materials(session: Session, agency_id: int, materials: Mapping[str, bool]) -> Application:
    """Tick or untick Art. 9 checklist items on the agency's current application."""
    unknown = [name for name in materials if name not in MATERIALS]
    if unknown:
        raise InvalidInput(
            "registry.unknown_material", name=", ".join(unknown), known=", ".join(MATERIALS)
        )
    for name, value in materials.items():
        if not isinstance(value, bool):
            raise InvalidInput("registry.material_not_bool", name=name)
    application = current_application(session, agency_id)
    if application.closed:
        raise Refused("registry.application_closed", agency=agency_id)
    for name, value in materials.items():
        setattr(application, name, value)
    session.add(application)
    session.flush()
    return application


def record_familiarity(session: Session, agency_id: int, familiar: bool, judged_by: str) -> Agency:
    """Record the experts' judgement whether the agency knows both programmes (Art. 8(3))."""
    agency = find_agency(session, agency_id)
    judge = " ".join(judged_by.split())
    if not judge:
        raise InvalidInput("registry.judge_required")
    agency.familiar_judgement = familiar
    agency.familiar_judged_by = judge[:100]
    agency.familiar_judged_at = utcnow()
    session.add(agency)
    session.flush()
    return agency


# ---------------------------------------------------------------------------
# Display: JSON-safe, personal data masked
# ---------------------------------------------------------------------------

AGENCY_PHONES = (
    "office_phone",
    "fax",
    "principal_mobile",
    "principal_office_phone",
    "principal_fax",
)


def _json_safe(row: SQLModel) -> dict[str, Any]:
    """The row's fields in model order, dates as ISO text."""
    values = {name: getattr(row, name) for name in type(row).model_fields}
    return {
        name: value.isoformat() if isinstance(value, date | datetime) else value
        for name, value in values.items()
    }


def agency_public_dict(agency: Agency) -> dict[str, Any]:
    """Every stored field of the agency, JSON-safe, phones masked."""
    data = _json_safe(agency)
    for name in AGENCY_PHONES:
        data[name] = mask_phone(data[name])
    return data


def consultant_public_dict(consultant: Consultant) -> dict[str, Any]:
    """Every stored field of the consultant, JSON-safe, ID number and mobile masked."""
    data = _json_safe(consultant)
    data["id_number"] = mask_id(data["id_number"])
    data["mobile"] = mask_phone(data["mobile"])
    return data


def application_public_dict(application: Application) -> dict[str, Any]:
    """The application with its Art. 9 checklist and what is still missing."""
    data = _json_safe(application)
    data["missing_materials"] = missing_materials(application)
    return data
