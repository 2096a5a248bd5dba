"""What links a question to the data that could answer it and the analyses that did.

models (question <-> dataset decisions, question <-> analysis runs), datasets (suggest,
confirm or reject), matching (BM25 of a question's PICO against dataset metadata, pure
functions), runs (analyses run for a question, and the ones that answer it), forms.
The pages that decide on links are the question's (portal.community.questions.views).
"""
