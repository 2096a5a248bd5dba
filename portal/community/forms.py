from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.community.comment_models import BODY_MAX
from portal.community.moderation_models import NOTE_MAX, FlagReason
from portal.community.question_models import (
    PICO_MAX,
    RATIONALE_MAX,
    TITLE_MAX,
    TITLE_MIN,
    URL_MAX,
    EvidenceVerdict,
)
from portal.community.round_models import ROUND_TITLE_MAX, Perspective


class MembershipForm(FlaskForm):
    """Join or leave: a POST carrying only the CSRF token."""


class ActionForm(FlaskForm):
    """A button that changes something (support, follow, delete...): only the CSRF token."""


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


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment",
        validators=[DataRequired(), Length(max=BODY_MAX)],
        description="Markdown works: **bold**, *italic*, [links](https://…), lists, > quotes. "
        "Mention a dataset or analysis with [[dataset:name]] or [[analysis:id]].",
    )
    parent_id = HiddenField()


class FlagForm(FlaskForm):
    reason = RadioField(
        "Why are you flagging this?",
        choices=[SelectChoice(r.value, r.label) for r in FlagReason],
        validators=[DataRequired(message="Choose a reason.")],
    )
    note = StringField(
        "Anything a moderator should know? (optional)",
        validators=[Optional(), Length(max=NOTE_MAX)],
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


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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


class LinkRunForm(FlaskForm):
    run_id = SelectField(
        "Analysis run for this question",
        coerce=int,
        validate_choice=False,
        validators=[DataRequired()],
    )


class DatasetDecisionForm(FlaskForm):
    decision = RadioField(
        "Could this dataset answer the question?",
        choices=[SelectChoice("confirmed", "Yes, confirm"), SelectChoice("rejected", "No, reject")],
        validators=[DataRequired()],
    )


class CloseForm(FlaskForm):
    reason = TextAreaField("Why close it?", validators=[DataRequired(), Length(max=5000)])
    # The choices are filled in by the view; the service checks the question chosen.
    duplicate_of = SelectField(
        "It repeats this question (optional)",
        coerce=str,
        validators=[Optional()],
        validate_choice=False,
    )


class ModerationForm(FlaskForm):
    reason = StringField(
        "Reason (kept in the audit log)", validators=[DataRequired(), Length(max=2000)]
    )


class RoundForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(min=3, max=ROUND_TITLE_MAX)])
    description = TextAreaField(
        "What the round is for (optional)", validators=[Optional(), Length(max=5000)]
    )
    questions = MultiCheckboxField("Questions in the round", coerce=int)


class PerspectiveForm(FlaskForm):
    perspective = RadioField(
        "I take part as",
        choices=[SelectChoice(p.value, p.label) for p in Perspective],
        validators=[DataRequired(message="Choose one.")],
    )


class CompareForm(FlaskForm):
    first_id = IntegerField(validators=[DataRequired()])
    second_id = IntegerField(validators=[DataRequired()])
    winner_id = IntegerField(validators=[DataRequired()])
