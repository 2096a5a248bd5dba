"""The form for a comment or a reply."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.community.threads.models import BODY_MAX


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment",
        validators=[DataRequired(), Length(max=BODY_MAX)],
        description="Markdown works: **bold**, *italic*, [links](https://…), lists, > quotes. "
        "Mention a dataset or analysis with [[dataset:name]] or [[analysis:id]].",
    )
    parent_id = HiddenField()
