"""Survey refusals: the usual domain errors, with their texts in `surveys/locales`."""

from __future__ import annotations

from pathlib import Path

from workflow.core import errors
from workflow.core.i18n import Catalogue

survey_texts = Catalogue(Path(__file__).parent / "locales")


class NotFound(errors.NotFound):
    catalogue = survey_texts


class InvalidInput(errors.InvalidInput):
    catalogue = survey_texts


class Refused(errors.Refused):
    catalogue = survey_texts


class Conflict(errors.Conflict):
    catalogue = survey_texts


class NoResponses(Refused):
    """No unit has submitted: there are no questionnaire points to give (not zero)."""
