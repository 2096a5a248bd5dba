"""An attacker times failed logins to learn which usernames have accounts.

The defence is equal work: a name no account has is checked against a stand-in
argon2 hash with the same parameters as a real account's, so both failures cost one
verification and no hashing, from the first request a process serves. Counting the
calls (not timing them) keeps the test exact on a busy machine.
"""

from __future__ import annotations

import pytest
from flask import Flask

from portal import db
from portal.accounts import passwords, services


def test_the_stand_in_hash_has_the_hasher_parameters_and_admits_no_password() -> None:
    assert not passwords.needs_rehash(services.DUMMY_HASH)
    assert not passwords.verify_password(services.DUMMY_HASH, "not-a-real-password-for-timing")
    assert not passwords.verify_password(services.DUMMY_HASH, "")


def test_an_unknown_name_costs_what_a_wrong_password_costs(
    app: Flask, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user("known_member")
    calls: list[str] = []

    def counting_verify(password_hash: str, password: str) -> bool:
        calls.append("verify" if password_hash != services.DUMMY_HASH else "verify stand-in")
        return passwords.verify_password(password_hash, password)

    def counting_hash(password: str) -> str:
        calls.append("hash")
        return passwords.hash_password(password)

    monkeypatch.setattr(services, "verify_password", counting_verify)
    monkeypatch.setattr(services, "hash_password", counting_hash)

    work = {}
    for login in ("known_member", "nobody_here"):
        calls.clear()
        with app.app_context(), db.new_session() as session:
            assert services.authenticate(session, login, "wrong password entirely") is None
            session.rollback()
        work[login] = list(calls)

    assert work == {"known_member": ["verify"], "nobody_here": ["verify stand-in"]}
