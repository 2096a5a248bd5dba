"""Research questions: proposed in PICO form, supported, ranked and taken from review to answer.

models (questions, support, evidence reviews), services (propose, edit, list, find
similar), votes (support), lifecycle (review, analysis, answer, close, merge), ranking
("top", "new", "trending"), similarity (trigrams), views (a community's questions),
feed (the questions of all communities), forms.
"""
