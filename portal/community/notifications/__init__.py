"""Following questions, and the on-site notifications a follower receives when one changes.

models (follows, notifications), services (follow, unfollow, notify, read), views (a
member's notifications).
"""
