"""Who may do what. Roles are checked on the server, in every view that changes things."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from ..models import Role

# Each capability lists the roles that have it. Admins have every capability.
CAPABILITIES: dict[str, frozenset[Role]] = {
    "campaign.edit": frozenset({Role.COORDINATOR}),
    "request.edit": frozenset({Role.COORDINATOR, Role.STAFF}),
    "report.edit": frozenset({Role.AUTHOR, Role.COORDINATOR}),
    "admin": frozenset(),
}


def can(user, capability: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    role = Role(user.role)
    return role is Role.ADMIN or role in CAPABILITIES[capability]


def requires(capability: str):
    """View decorator: 403 unless the logged-in user's role has `capability`."""
    if capability not in CAPABILITIES:
        raise KeyError(capability)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(current_user, capability):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
