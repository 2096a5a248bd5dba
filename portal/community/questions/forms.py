"""Forms for proposing a question and moving it through review, analysis and answer."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.community.forms import MultiCheckboxField
from portal.community.questions.models import (
    PICO_MAX,
    RATIONALE_MAX,
    TITLE_MAX,
    TITLE_MIN,
    URL_MAX,
    EvidenceVerdict,
)


class QuestionForm(FlaskForm):
    title = StringField(
        "Your question",
        validators=[DataRequired(), Length(min=TITLE_MIN, max=TITLE_MAX)],
        description="One sentence ending with a question mark, e.g. “Does exercise reduce "
        "fatigue in people with MS?”",
    )
    population = StringField(
        "Population: who is it about?",
        validators=[DataRequired(), Length(max=PICO_MAX)],
        description="e.g. adults with relapsing-remitting MS",
    )
    intervention = StringField(
        "Intervention: what treatment or exposure?",
        validators=[DataRequired(), Length(max=PICO_MAX)],
        description="e.g. a 12-week supervised exercise programme",
    )
    comparator = StringField(
        "Comparator: compared with what? (optional)",
        validators=[Optional(), Length(max=PICO_MAX)],
        description="e.g. usual care, placebo, another treatment",
    )
    outcome = StringField(
        "Outcome: what result matters?",
        validators=[DataRequired(), Length(max=PICO_MAX)],
        description="e.g. fatigue score after six months",
    )
    rationale = TextAreaField(
        "Why does it matter?",
        validators=[DataRequired(), Length(max=RATIONALE_MAX)],
        description="Who would it help, and how? Plain words are best.",
    )


class ReviewForm(FlaskForm):
    verdict = RadioField(
        "Does existing evidence already answer this question?",
        choices=[SelectChoice(v.value, v.label.capitalize()) for v in EvidenceVerdict],
        validators=[DataRequired(message="Choose a verdict.")],
    )
    citations = TextAreaField(
        "References (one per line)",
        validators=[Optional(), Length(max=5000)],
        description="Systematic reviews, trials, guidelines: a DOI or a full reference each.",
    )
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=5000)])


class AnswerForm(FlaskForm):
    # The choices (finished runs the researcher may see) are filled in by the view;
    # the service checks each run again.
    runs = MultiCheckboxField("Analyses that answer it", coerce=int, validate_choice=False)
    url = StringField(
        "Link to a published answer (optional)",
        validators=[Optional(), Length(max=URL_MAX)],
        description="A paper or report elsewhere, if the answer is published there too.",
    )
    note = TextAreaField("Summary of the answer", validators=[DataRequired(), Length(max=5000)])


class CloseForm(FlaskForm):
    reason = TextAreaField("Why close it?", validators=[DataRequired(), Length(max=5000)])
    # The choices are filled in by the view; the service checks the question chosen.
    duplicate_of = SelectField(
        "It repeats this question (optional)",
        coerce=str,
        validators=[Optional()],
        validate_choice=False,
    )
