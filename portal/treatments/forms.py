"""Treatment forms. Fields are plain text here: the service checks every value, so the
page and the JSON endpoint refuse bad input with the same messages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from portal.treatments.models import (
    EFFECT_LABELS,
    NAME_MAX,
    CostBand,
    Effectiveness,
    ReasonStopped,
    TreatmentKind,
)


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


ADHERENCE = [
    ("", "—"),
    ("5", "5: always as planned"),
    ("4", "4: mostly"),
    ("3", "3: about half the time"),
    ("2", "2: seldom"),
    ("1", "1: rarely or never"),
]
BURDEN = [
    ("", "—"),
    ("1", "1: no burden"),
    ("2", "2: a little"),
    ("3", "3: some"),
    ("4", "4: a lot"),
    ("5", "5: very burdensome"),
]
REASONS = {
    ReasonStopped.NOT_STOPPED: "— still using it —",
    ReasonStopped.FINISHED: "Finished the course",
    ReasonStopped.INEFFECTIVE: "It did not work",
    ReasonStopped.SIDE_EFFECTS: "Side effects",
    ReasonStopped.BURDEN: "Too much of a burden",
    ReasonStopped.COST: "Cost",
    ReasonStopped.ADVICE: "A clinician advised it",
    ReasonStopped.OTHER: "Other",
}
COSTS = {
    CostBand.NONE: "None (free to me)",
    CostBand.LOW: "Low",
    CostBand.MEDIUM: "Medium",
    CostBand.HIGH: "High",
}


class ActionForm(FlaskForm):
    """A button (approve, withdraw, publish...): only the CSRF token."""


class ProposeForm(FlaskForm):
    name = StringField("Treatment name", validators=[Length(max=NAME_MAX)])
    kind = SelectField(
        "Kind",
        choices=_choices((k.value, k.value.replace("-", " ").capitalize()) for k in TreatmentKind),
        validate_choice=False,
    )
    description = TextAreaField("What is it? (optional)", validators=[Length(max=2000)])


class ReportForm(FlaskForm):
    member = HiddenField()
    treatment = SelectField("Treatment", validate_choice=False)
    started_on = StringField(
        "Started on",
        render_kw={"type": "date"},
        description="Kept private: others only ever see durations.",
    )
    stopped_on = StringField(
        "Stopped on",
        render_kw={"type": "date"},
        description="Leave empty if you still use it. Kept private.",
    )
    dose = StringField("Dose, if it applies", description="e.g. 10 mg twice a day")
    effectiveness = SelectField(
        "How well did it work for you?",
        validate_choice=False,
        choices=_choices(
            [("", "—")]
            + [
                (e.value, EFFECT_LABELS[e])
                for e in (
                    Effectiveness.MAJOR,
                    Effectiveness.MODERATE,
                    Effectiveness.SLIGHT,
                    Effectiveness.NONE,
                    Effectiveness.WORSE,
                )
            ]
        ),
    )
    side_effects = TextAreaField(
        "Side effects",
        description="One per line as “name: severity” with severity mild, "
        "moderate or severe, e.g. “nausea: mild”. Leave empty if none.",
    )
    adherence = SelectField(
        "How often did you take or do it as planned?",
        choices=_choices(ADHERENCE),
        validate_choice=False,
    )
    burden = SelectField(
        "How much of a burden was it?", choices=_choices(BURDEN), validate_choice=False
    )
    cost_band = SelectField(
        "What did it cost you?",
        validate_choice=False,
        choices=_choices([("", "—")] + [(c.value, label) for c, label in COSTS.items()]),
    )
    reason_stopped = SelectField(
        "Why did you stop?",
        validate_choice=False,
        choices=_choices((r.value, label) for r, label in REASONS.items()),
    )
    consent_to_publish = BooleanField(
        "Include this report, without my name, in the community's open dataset",
        description="Optional. You can withdraw this consent at any time; the report then "
        "leaves the next published version.",
    )
