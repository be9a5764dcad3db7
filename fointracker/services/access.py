"""Who sees which campaigns: campaigns are the unit of access.

Admins see every campaign. Everyone else sees only the campaigns they are a member of, and a
campaign's coordinators are always members of it. Everything that belongs to a campaign (its
requests and their documents, figures, imports, exports, the report, statistics, reminders, the
calendar feed, the request list's search, the dashboard's counts) is read through these helpers:
lists and counts add `campaign_scope(user)` (or `visible_campaign_ids`, for the dashboard, whose
cache is keyed on it), and the views load one object by id through auth.permissions'
`get_campaign_or_404`/`get_request_or_404`, which ask `may_see_campaign`. An object of a campaign
the user may not see is answered exactly as one that does not exist: a 404.
"""

from __future__ import annotations

from sqlalchemy import false, select, true, union
from sqlalchemy.orm import Session

from ..models import Campaign, FoiRequest, Role, campaign_coordinators, campaign_members


def sees_everything(user) -> bool:
    """Admins see every campaign."""
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) == Role.ADMIN.value


def member_campaigns(user_id: int):
    """SELECT of the ids of the campaigns `user_id` is a member (or a coordinator) of."""
    return union(
        select(campaign_members.c.campaign_id).where(campaign_members.c.user_id == user_id),
        select(campaign_coordinators.c.campaign_id).where(campaign_coordinators.c.user_id == user_id),
    )


def campaign_scope(user, column=FoiRequest.campaign_id):
    """A SQL condition: `column` (a campaign id) names a campaign `user` may see."""
    if sees_everything(user):
        return true()
    if not getattr(user, "is_authenticated", False):
        return false()
    return column.in_(member_campaigns(user.id))


def visible_campaign_ids(session: Session, user) -> frozenset[int] | None:
    """The ids of the campaigns `user` may see, or None for every campaign (an admin)."""
    if sees_everything(user):
        return None
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(session.scalars(member_campaigns(user.id)))


def may_see_campaign(session: Session, user, campaign_id: int | None) -> bool:
    if campaign_id is None:
        return False
    if sees_everything(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        session.scalar(select(true()).where(campaign_scope(user, Campaign.id), Campaign.id == campaign_id)) is not None
    )
