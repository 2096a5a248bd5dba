"""Communities: one per condition, where members propose, discuss, support and
prioritise research questions.

Models (tables)        models (communities, memberships), question_models (questions,
                       votes, watches, evidence reviews), comment_models, moderation_models
                       (flags), notification_models, round_models (prioritisation rounds),
                       link_models (question <-> datasets, question <-> analysis runs)
Pure functions         bradley_terry (pairwise-comparison fit, numpy only), ranking
                       ("top"/"new"/"trending"), similarity (trigrams), markdown (render +
                       sanitise), dataset_matching (BM25 of a question's PICO against
                       dataset metadata)
Services (never commit) services (communities), questions, votes, discussion, lifecycle,
                       moderation, prioritisation, watching (follows + notifications),
                       trust (new-account limits), permissions, contributions,
                       dataset_links (suggest, confirm/reject), run_links (analyses run
                       for a question, and the ones that answer it)
Web                    views (community pages; nests question_views, comment_views,
                       round_views, moderation_views), feed_views (/questions/ and the
                       similar-questions JSON), notification_views; forms, view_helpers,
                       template_helpers
Demo                   demo_content (called by portal.demo)

Settings read from the app config (e.g. in <instance>/portal.cfg):
COMMUNITY_EDIT_WINDOW_MINUTES (15), and the new-account limits of trust.CONFIG_KEYS.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the community pages (each part's pages nested in them), the questions
    of all communities, and a member's notifications."""
    # Imported here, as flaskr's factory does: importing the package (its models, say)
    # must not load its pages, which import the rest of the portal.
    from portal.community import views
    from portal.community.notifications import views as notification_views
    from portal.community.questions import feed

    app.register_blueprint(views.bp)
    app.register_blueprint(feed.bp)
    app.register_blueprint(notification_views.bp)
