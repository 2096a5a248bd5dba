"""Prioritisation rounds: members compare a community's questions in pairs, and a
Bradley-Terry fit turns the comparisons into the community's priority list.

models (rounds, their questions, participants, comparisons), services (open, take
part, compare, results, close), bradley_terry (the fit, numpy only), views, forms.
"""
