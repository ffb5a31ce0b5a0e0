"""The two registration forms (单位登记表, 人员登记表) as field lists with their
Chinese labels, and their validation: every wrong field is reported at once,
named by its label on the official form, never repeating personal data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import SQLModel

from workflow.core.errors import InvalidInput
from workflow.core.i18n import workflow_texts
from workflow.registry.identifiers import id_birth_date, id_gender
from workflow.registry.models import MATERIALS, Agency, Application, Consultant
from workflow.registry.titles import is_senior_title as is_senior_title  # re-exported
from workflow.registry.values import BadValue, is_blank, read_value

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

CHECKLIST: tuple[FormField, ...] = tuple(FormField(name, "bool") for name in MATERIALS)
"""The Art. 9 materials checklist of the application."""

CONSULTANT_FORM: tuple[FormField, ...] = (
    FormField("name", "text", True),
    FormField("gender", "gender", True),
    FormField("birth_date", "birth_date", True),
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
"""The consultant form (人员登记表), in the order of the official form. The photo (照片)
is an image, stored apart (`workflow.registry.corrections.set_photo`), not a text field."""

FORMS: dict[str, tuple[FormField, ...]] = {
    "agency": AGENCY_FORM + AGENCY_FACTS,
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


def check_field(
    form: str, name: str, value: object, *, today: date | None = None
) -> tuple[Any, FieldError | None]:
    """One field of a form: its stored value (None if blank), or what is wrong with it."""
    spec = next(f for f in FORMS[form] if f.name == name)
    if is_blank(value) and spec.kind not in ("bool", "optional_bool"):
        missing = FieldError(name, "registry.invalid.required", {}, form)
        return None, missing if spec.required else None
    try:
        result = read_value(spec.kind, value, today or date.today())
    except BadValue as bad:
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
