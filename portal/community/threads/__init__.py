"""The discussion under a question: threaded comments in Markdown.

models (comments), services (add, edit, delete, the thread as a tree), views (comment,
reply, edit, delete, flag), forms.
"""
