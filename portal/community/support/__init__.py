"""Peer support: members of a community share their stories, ask each other, and say
what helped them, in discussion threads of Markdown posts.

models (posts, "this helped" reactions, follows, digest preferences), services (start a
thread, reply, edit, delete, react, follow, list), authors (who a reader is shown as
the author: "a member" for anonymous posts), digest (what is new since a date, the
digest page and the periodic e-mail), views (the pages), forms.
"""
