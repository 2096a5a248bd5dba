"""Communities: one per condition, where members propose, discuss, support and
prioritise research questions.

A community has members (some of them its moderators); each part of what they do
there is a sub-package with the same shape: models.py (tables), services.py (what it
does: functions that take a session and never commit), views.py (a blueprint) and
forms.py.

The community itself   models (communities, memberships), services (create, join,
                        leave, members), views (the community pages, with each part's
                        pages nested in them), forms (shared one-button forms); the
                        app factory calls init_app, below, to register them all
questions/              research questions in PICO form: models, services, votes
                        (support), lifecycle (review -> analysis -> answer, or closed),
                        ranking ("top"/"new"/"trending"), similarity (trigrams), views,
                        feed (/questions/, across communities), forms
threads/                the discussion under a question: threaded Markdown comments
rounds/                 prioritisation rounds: pairwise comparisons, bradley_terry fit
moderation/             flags, decisions with a reason (hide, keep, edit, warn, suspend,
                        ban), the queue with the author's history, appeals, targets
                        (what can be flagged)
links/                  a question's datasets (datasets: suggested by matching, BM25,
                        and confirmed by researchers) and analyses (runs)
notifications/          following questions and the notifications followers receive
support/                peer support: threads of stories, questions to peers and what
                        helped, replies, "this helped", follows, anonymous posting, and
                        the digest of what is new (a page and a periodic e-mail)
Shared                  web (what every community view uses: lookups that 404, the
                        shape of a small POST), template_helpers (filters, profile and
                        dataset-page helpers), trust (new-account limits), markdown
                        (render and sanitise), contributions (a member's, for the
                        profile), demo (demo content, called by portal.demo)

Access rules are portal.policy's; errors are portal.errors.ServiceError and its kinds.

Settings: the COMMUNITY_* entries of portal.settings (the edit window, new-account
limits, how often the e-mail digest goes out).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the community pages (each part's pages nested in them), the questions
    of all communities, a member's notifications and digest, and the digest's mailing."""
    # Imported here, as flaskr's factory does: importing the package (its models, say)
    # must not load its pages, which import the rest of the portal.
    from portal.community import views
    from portal.community.moderation import appeal_views
    from portal.community.notifications import views as notification_views
    from portal.community.questions import feed
    from portal.community.support import digest, digest_views
    from portal.jobs import periodic

    app.register_blueprint(views.bp)
    app.register_blueprint(feed.bp)
    app.register_blueprint(notification_views.bp)
    app.register_blueprint(digest_views.bp)
    # Hourly: each member's digest is due every COMMUNITY_DIGEST_DAYS from their last one.
    periodic.add(app, periodic.Periodic("community.support_digest", digest.send_digests, 3600.0))
    app.register_blueprint(appeal_views.bp)
