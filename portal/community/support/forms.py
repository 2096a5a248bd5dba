"""Forms for a support thread, a reply, and the digest preference."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from portal.community.support.models import BODY_MAX, TITLE_MAX, ThreadKind

MARKDOWN_HELP = "Markdown works: **bold**, *italic*, [links](https://…), lists, > quotes."
ANONYMOUS_LABEL = "Post as “a member”: other members will not see your name"
ANONYMOUS_HELP = (
    "The moderators of this community and the site's administrators can still see "
    "that you wrote it."
)


class ThreadForm(FlaskForm):
    # The services check what is required and say so next to the field; the form only
    # bounds the lengths, so whatever was typed comes back in its box.
    kind = RadioField(
        "What kind of post is it?",
        choices=[SelectChoice(k.value, k.label) for k in ThreadKind],
        validate_choice=False,
    )
    title = StringField("Title", validators=[Length(max=TITLE_MAX)])
    body = TextAreaField("Your post", validators=[Length(max=BODY_MAX)], description=MARKDOWN_HELP)
    anonymous = BooleanField(ANONYMOUS_LABEL, description=ANONYMOUS_HELP)


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[Length(max=BODY_MAX)], description=MARKDOWN_HELP)
    anonymous = BooleanField(ANONYMOUS_LABEL, description=ANONYMOUS_HELP)


class DigestForm(FlaskForm):
    email = BooleanField("E-mail me a digest of what's new in my communities")
