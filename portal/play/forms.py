from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.play.importing import DESCRIPTION_MAX, TITLE_MAX
from portal.play.models import NICKNAME_MAX


class NicknameForm(FlaskForm):
    nickname = StringField(
        "Nickname",
        validators=[DataRequired(), Length(2, NICKNAME_MAX)],
        description="Shown on the leaderboards. Log in to keep a history.",
    )


class SolutionForm(FlaskForm):
    rows = TextAreaField(
        "Your layout, one row per line ('-' for gaps)",
        validators=[DataRequired(), Length(max=20_000)],
    )
    nickname = StringField("Nickname", validators=[Optional(), Length(2, NICKNAME_MAX)])
    source = HiddenField(default="form")


class SpliceForm(FlaskForm):
    """Only its CSRF token: the action has no other input."""


class ImportForm(FlaskForm):
    """Sequences for players to improve; the choices of aligner are set by the view."""

    file = FileField(
        "FASTA file", description="When you choose a file, it is read instead of the box below."
    )
    fasta = TextAreaField(
        "Or paste the sequences (FASTA)",
        validators=[Optional()],
        description="Each sequence starts with a line '>name'. Gaps ('-') are removed "
        "before aligning, unless you keep your alignment.",
    )
    title = StringField("Title", validators=[Optional(), Length(max=TITLE_MAX)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=DESCRIPTION_MAX)])
    aligner = SelectField("Aligner", default="famsa")
    guide_tree = TextAreaField(
        "Guide tree (Newick, optional)",
        validators=[Optional()],
        description="Leaves named as the sequences. Only Clustal Omega reads a guide tree.",
    )
