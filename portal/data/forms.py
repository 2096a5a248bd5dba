from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from datasets.metadata import LEVELS, LICENCES, STUDY_DESIGNS

LIST_HELP = "Separate several with semicolons."


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", text or "") if part.strip()]


def _join(values: list[str] | None) -> str:
    return "; ".join(values or [])


class MetadataForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(
        "Description",
        validators=[DataRequired(), Length(max=20_000)],
        description="What the data are, how they were collected, "
        "and anything a reanalysis must know.",
    )
    licence = SelectField(
        "Licence",
        choices=[SelectChoice(key, f"{key}: {licence.title}") for key, licence in LICENCES.items()],
    )
    level = SelectField(
        "Rows are",
        choices=[
            SelectChoice("participant", "individual participants"),
            SelectChoice("aggregate", "aggregate (one row per study arm or study)"),
        ],
    )
    study_design = SelectField(
        "Study design",
        choices=[SelectChoice("", "(not stated)")]
        + [SelectChoice(design, design.replace("-", " ")) for design in STUDY_DESIGNS],
    )
    conditions = StringField("Conditions", validators=[Length(max=2000)], description=LIST_HELP)
    interventions = StringField(
        "Interventions", validators=[Length(max=2000)], description=LIST_HELP
    )
    comparator = StringField("Comparator", validators=[Length(max=255)])
    outcomes = StringField("Outcomes", validators=[Length(max=2000)], description=LIST_HELP)
    n_participants = IntegerField(
        "Number of participants", validators=[Optional(), NumberRange(min=0, max=100_000_000)]
    )
    registry_ids = StringField(
        "Trial registry ids",
        validators=[Length(max=500)],
        description="For example NCT01234567. " + LIST_HELP,
    )
    citation = TextAreaField("Citation", validators=[Length(max=2000)])
    doi = StringField("DOI", validators=[Length(max=255)], description="For example 10.1000/xyz123")
    contact = StringField(
        "Contact", validators=[Length(max=255)], description="An e-mail address or web page."
    )
    keywords = StringField("Keywords", validators=[Length(max=2000)], description=LIST_HELP)

    def metadata_dict(self) -> dict[str, Any]:
        assert self.level.data in LEVELS
        return {
            "title": self.title.data.strip(),
            "description": self.description.data.strip(),
            "licence": self.licence.data,
            "level": self.level.data,
            "study_design": self.study_design.data or None,
            "conditions": _split(self.conditions.data),
            "interventions": _split(self.interventions.data),
            "comparator": (self.comparator.data or "").strip() or None,
            "outcomes": _split(self.outcomes.data),
            "n_participants": self.n_participants.data,
            "registry_ids": _split(self.registry_ids.data),
            "citation": (self.citation.data or "").strip() or None,
            "doi": (self.doi.data or "").strip() or None,
            "contact": (self.contact.data or "").strip() or None,
            "keywords": _split(self.keywords.data),
        }

    def fill_from(self, meta: dict[str, Any]) -> None:
        for name in (
            "title",
            "description",
            "licence",
            "level",
            "comparator",
            "citation",
            "doi",
            "contact",
            "n_participants",
        ):
            getattr(self, name).data = meta.get(name)
        self.study_design.data = meta.get("study_design") or ""
        for name in ("conditions", "interventions", "outcomes", "registry_ids", "keywords"):
            getattr(self, name).data = _join(meta.get(name))


class UploadForm(MetadataForm):
    file = FileField(
        "Data file",
        validators=[FileRequired("Choose a file to upload.")],
        description="CSV, TSV, Excel (.xlsx) or Parquet. The encoding and delimiter are detected.",
    )


class VersionForm(FlaskForm):
    file = FileField("Data file", validators=[FileRequired("Choose a file to upload.")])
    change_note = TextAreaField("What changed", validators=[DataRequired(), Length(max=2000)])


class EmptyForm(FlaskForm):
    """A POST carrying only the CSRF token (publish)."""


class FixForm(FlaskForm):
    fixes = SelectMultipleField("Fixes to apply", choices=[])


class ConfirmForm(FlaskForm):
    """The findings of a draft a person has read and confirms (their keys)."""

    # The service names any key that is not one of the version's open findings.
    findings = SelectMultipleField("Findings I have checked", choices=[], validate_choice=False)


class RiskForm(FlaskForm):
    reason = TextAreaField(
        "Why this risk is acceptable",
        validators=[DataRequired(message="Say why the risk is acceptable."), Length(max=2000)],
        description="Recorded with your name in the audit log.",
    )


class QuasiIdentifierForm(FlaskForm):
    quasi_identifiers = SelectMultipleField("Quasi-identifiers", choices=[])
    confirm = BooleanField("Re-run the checks")


class PublishForm(FlaskForm):
    """The last step before a version becomes public for good."""

    confirm = BooleanField(
        "I have read what will become public, and understand that publishing cannot be undone."
    )
