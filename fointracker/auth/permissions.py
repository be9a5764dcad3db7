"""Who may do what. Roles are checked on the server, in every view that changes things."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from ..extensions import db
from ..models import Attachment, Campaign, FoiRequest, RequestEvent, Role
from ..services.access import campaign_scope, may_see_campaign

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


# ---------------------------------------------------------------- campaigns as the unit of access
# A campaign the user may not see (services.access) is answered as one that does not exist: 404,
# never 403, so nothing confirms what exists. Every view loads campaign-scoped objects by id here.


def get_campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not may_see_campaign(db.session, current_user, campaign.id):
        abort(404)
    return campaign


def get_request_or_404(request_id: int) -> FoiRequest:
    foi_request = db.session.get(FoiRequest, request_id)
    if foi_request is None or not may_see_campaign(db.session, current_user, foi_request.campaign_id):
        abort(404)
    return foi_request


def get_attachment_or_404(attachment_id: int) -> Attachment:
    found = db.session.execute(
        db.select(Attachment, FoiRequest.campaign_id)
        .join(RequestEvent, Attachment.event_id == RequestEvent.id)
        .join(FoiRequest, RequestEvent.request_id == FoiRequest.id)
        .where(Attachment.id == attachment_id)
    ).first()
    if found is None or not may_see_campaign(db.session, current_user, found.campaign_id):
        abort(404)
    return found.Attachment


def visible_campaigns(column=FoiRequest.campaign_id):
    """The logged-in user's `campaign_scope`: add it to every list and count of campaign data."""
    return campaign_scope(current_user, column)
