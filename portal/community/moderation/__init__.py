"""Moderation: members flag questions and comments; enough flags hide them until a
community moderator hides them for good or restores them, with a reason.

models (flags), services (flag, hide, restore, the queue), views (the queue), forms.
"""
