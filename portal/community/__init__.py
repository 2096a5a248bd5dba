"""Communities: one per condition, where members propose, discuss, support and
prioritise research questions.

Models (tables)        models (communities, memberships), question_models (questions,
                       votes, watches, evidence reviews), comment_models, moderation_models
                       (flags), notification_models, round_models (prioritisation rounds)
Pure functions         bradley_terry (pairwise-comparison fit, numpy only), ranking
                       ("top"/"new"/"trending"), similarity (trigrams), markdown (render +
                       sanitise)
Services (never commit) services (communities), questions, votes, discussion, lifecycle,
                       moderation, prioritisation, watching (follows + notifications),
                       trust (new-account limits), permissions, contributions
Web                    views (community pages; nests question_views, comment_views,
                       round_views, moderation_views), feed_views (/questions/ and the
                       similar-questions JSON), notification_views; forms, view_helpers,
                       template_helpers
Demo                   demo_content (called by portal.demo)

Settings read from the app config (e.g. in <instance>/portal.cfg):
COMMUNITY_EDIT_WINDOW_MINUTES (15), and the new-account limits of trust.CONFIG_KEYS.
"""
