"""Database models, one module per area. Import from here."""
from .audit import AuditEntry
from .authority import Authority
from .campaign import Campaign, campaign_coordinators
from .foi_request import FoiRequest, RequestEvent
from .user import LoginAttempt, Role, User

__all__ = [
    "AuditEntry",
    "Authority",
    "Campaign",
    "campaign_coordinators",
    "FoiRequest",
    "LoginAttempt",
    "RequestEvent",
    "Role",
    "User",
]
