"""Fixtures of the security tests."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from fointracker.extensions import db
from fointracker.models import User
from tests.conftest import PASSWORD, QUICK_HASH_METHOD

# These tests log in hundreds of times: a cheap hash keeps that quick. What they test is who
# may do what once logged in, not the hashing (tests/test_auth.py checks that).
QUICK_HASH = generate_password_hash(PASSWORD, QUICK_HASH_METHOD)


def add_person(email: str, role: str, name: str = "") -> int:
    user = User(email=email, role=role, name=name, password_hash=QUICK_HASH)
    db.session.add(user)
    db.session.commit()
    return user.id


@pytest.fixture
def people(app) -> dict[str, int]:
    """Like tests/conftest.py's `users` ({role: id}, emails <role>@example.org, the same password)."""
    with app.app_context():
        ids = {role: add_person(f"{role}@example.org", role) for role in ("admin", "coordinator", "staff", "author")}
        db.session.remove()
    return ids
