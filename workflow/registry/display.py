"""The registry as people may see it: agencies, consultants and applications as
plain dicts with ID numbers and phones masked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import SQLModel

from workflow.core.privacy import mask_id, mask_phone
from workflow.registry.models import Agency, Application, Consultant
from workflow.registry.service import missing_materials

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
