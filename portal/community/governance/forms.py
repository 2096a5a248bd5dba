"""Forms for proposing a community, deciding on it, its settings and its moderators."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.community.forms import MultiCheckboxField
from portal.community.governance import founding
from portal.community.models import QuestionProposers

STAKEHOLDER_LABELS = {"patient": "Patients", "carer": "Carers", "clinician": "Clinicians"}


class ProposalForm(FlaskForm):
    name = StringField(
        "Name of the community",
        validators=[DataRequired(message="Give it a name."), Length(max=founding.NAME_MAX)],
        description="For example: Living with type 1 diabetes.",
    )
    condition = StringField(
        "Condition",
        validators=[
            DataRequired(message="Name the condition."),
            Length(max=founding.CONDITION_MAX),
        ],
        description="The condition in plain words, such as: Type 1 diabetes.",
    )
    condition_code = StringField(
        "Condition code (optional)",
        validators=[Optional(), Length(max=16)],
        description="Its ICD-10 code (such as E10) or ICD-11 code (such as 5A10), if you "
        "know it. It helps match datasets about the same condition.",
    )
    description = TextAreaField(
        "What the community is for",
        validators=[
            DataRequired(message="Say what it is for."),
            Length(max=founding.DESCRIPTION_MAX),
        ],
    )
    audience = TextAreaField(
        "Who it is for (optional)",
        validators=[Optional(), Length(max=founding.AUDIENCE_MAX)],
        description="For example: people with the condition, their families and carers, "
        "and the clinicians who treat them.",
    )
    rules = TextAreaField(
        "Rules (optional)",
        validators=[Optional(), Length(max=founding.RULES_MAX)],
        description="How members treat each other here. You can change them later.",
    )


class DecisionForm(FlaskForm):
    decision = RadioField(
        "Decision",
        choices=[
            SelectChoice("approve", "Approve: open it, with its founder as first moderator"),
            SelectChoice("merge", "Merge into an existing community (the founder joins it)"),
            SelectChoice("decline", "Decline"),
        ],
        validators=[DataRequired(message="Choose a decision.")],
    )
    merge_into = SelectField("Merge into", coerce=int, validate_choice=False, default=0)
    reason = TextAreaField(
        "Reason, sent to the founder (needed to merge or decline)",
        validators=[Optional(), Length(max=founding.REASON_MAX)],
    )


class ArchiveForm(FlaskForm):
    reason = TextAreaField(
        "Why (shown in the public moderation log)",
        validators=[Optional(), Length(max=founding.REASON_MAX)],
    )


class SettingsForm(FlaskForm):
    question_proposers = RadioField(
        "Who may propose research questions",
        choices=[SelectChoice(p.value, p.label) for p in QuestionProposers],
        validators=[DataRequired(message="Choose who may propose questions.")],
    )
    stakeholders = MultiCheckboxField(
        "Stakeholder groups in prioritisation rounds",
        choices=[SelectChoice(value, label) for value, label in STAKEHOLDER_LABELS.items()],
        description="Who members say they speak for when they rank questions.",
    )
    min_reporters = IntegerField(
        "Fewest members behind any published treatment figure",
        validators=[Optional(), NumberRange(min=2, max=1000)],
    )
    membership_visible_default = BooleanField(
        "New members show their membership by default",
        description="They can still choose. Off: membership stays private unless a member "
        "shows it.",
    )
    description = TextAreaField(
        "What the community is for",
        validators=[Optional(), Length(max=founding.DESCRIPTION_MAX)],
    )
    audience = TextAreaField(
        "Who it is for", validators=[Optional(), Length(max=founding.AUDIENCE_MAX)]
    )
    rules = TextAreaField(
        "Rules",
        validators=[Optional(), Length(max=founding.RULES_MAX)],
        description="Shown on the rules page. Markdown: *emphasis*, lists, links.",
    )


class AppointForm(FlaskForm):
    user = SelectField("Member", coerce=int, validate_choice=False)
