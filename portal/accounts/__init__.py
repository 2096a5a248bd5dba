"""Accounts: users, roles, registration, login and profiles."""
