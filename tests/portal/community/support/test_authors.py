"""The author rule, for any name: an anonymous post names nobody unless the reader
may see authors; a post signed with a name shows that name to everyone."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.accounts.models import User
from portal.community.support.authors import ANONYMOUS, byline, public_byline
from portal.community.support.models import SupportPost

names = st.text(min_size=1, max_size=40).filter(lambda text: text.strip() != "")
viewers = st.one_of(st.none(), st.integers(min_value=1, max_value=10**6))


def _post(author_id: int, username: str, display_name: str, anonymous: bool) -> SupportPost:
    author = User(id=author_id, username=username, display_name=display_name)
    return SupportPost(author_id=author_id, author=author, anonymous=anonymous, body="b")


# The first example configures SQLAlchemy's mappers, which takes longer than a deadline.
@settings(deadline=None)
@given(
    author_id=st.integers(min_value=1, max_value=10**6),
    username=names,
    display_name=names,
    viewer=viewers,
)
def test_an_anonymous_post_names_nobody_to_a_reader_who_does_not_moderate(
    author_id, username, display_name, viewer
):
    post = _post(author_id, username, display_name, anonymous=True)
    for line in (byline(post, sees=False, viewer_id=viewer), public_byline(post)):
        assert line.username is None
        assert line.name in (ANONYMOUS, f"{ANONYMOUS} (you)")
        assert not line.anonymous  # the moderators' reminder would itself tell something
    # Only the author is told it is theirs.
    assert (byline(post, sees=False, viewer_id=viewer).name == ANONYMOUS) == (viewer != author_id)


@settings(deadline=None)
@given(author_id=st.integers(min_value=1, max_value=10**6), username=names, display_name=names)
def test_moderators_see_the_author_and_a_signed_post_names_its_author_to_all(
    author_id, username, display_name
):
    anonymous = _post(author_id, username, display_name, anonymous=True)
    seen = byline(anonymous, sees=True)
    assert (seen.name, seen.username, seen.anonymous) == (display_name, username, True)
    signed = _post(author_id, username, display_name, anonymous=False)
    assert byline(signed, sees=False).name == display_name
    assert public_byline(signed).username == username
