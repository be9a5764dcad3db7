"""Creating and editing campaigns."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.email_addresses import address_problem
from ..domain.letters import FOLLOW_UP_PLACEHOLDERS, FollowUp, follow_up_templates, template_problems
from ..domain.text import typed_id
from ..models import Campaign, FoiRequest, Role, User
from .audit import record, snapshot
from .clashes import refused_on_clash

TITLE_TAKEN = "another campaign already has this title"
CAMPAIGN_FIELDS = (
    "title",
    "description",
    "default_regime",
    "letter_template",
    "webhook_url",
    "aggregation_group",
    "follow_up_templates",
    "mail_from",
    "auto_confirm_acknowledgements",
    "double_entry",
)
# The form's fields for the follow-up letters' wording (stored together in follow_up_templates).
FOLLOW_UP_FIELDS = {kind: f"follow_up_{kind.value}" for kind in FollowUp}


class CampaignError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _check(session: Session, values: dict, campaign_id: int | None, webhook_allowed_hosts) -> None:
    title = values["title"].strip()
    if not title:
        raise CampaignError("title", "a campaign needs a title")
    clash = session.scalar(select(Campaign.id).where(Campaign.title == title))
    if clash is not None and clash != campaign_id:
        raise CampaignError("title", TITLE_TAKEN)
    problems = template_problems(values.get("letter_template", ""))
    if problems:
        raise CampaignError("letter_template", "; ".join(problems))
    for kind, text in (values.get("follow_up_templates") or {}).items():
        problems = template_problems(text, FOLLOW_UP_PLACEHOLDERS)
        if problems:
            raise CampaignError(FOLLOW_UP_FIELDS[FollowUp(kind)], "; ".join(problems))
    problem = address_problem(values["mail_from"]) if values.get("mail_from") else None
    if problem:
        raise CampaignError("mail_from", problem)
    webhook = (values.get("webhook_url") or "").strip()
    if webhook:
        _check_webhook(webhook, webhook_allowed_hosts)


def _check_webhook(url: str, allowed_hosts) -> None:
    """Only HTTP(S) to public addresses (domain.webhooks), checked again at each send. A name
    that does not resolve now is accepted: the send checks it when it does."""
    from ..delivery import resolve_webhook
    from ..domain.webhooks import WebhookRefused, parse_webhook_url

    try:
        parse_webhook_url(url)
        resolve_webhook(url, allowed_hosts)
    except WebhookRefused as exc:
        if "could not be resolved" not in str(exc):
            raise CampaignError("webhook_url", str(exc)) from exc


@refused_on_clash("uq_campaign_title", lambda: CampaignError("title", TITLE_TAKEN))
def save_campaign(
    session: Session,
    campaign: Campaign | None,
    values: dict,
    coordinator_ids: list[int] | None,
    user_id: int | None,
    member_ids: list[int] | None = None,
    *,
    webhook_allowed_hosts=(),  # the WEBHOOK_ALLOWED_HOSTS setting: internal hosts a webhook may use
) -> Campaign:
    """Create (campaign=None) or update a campaign, with its coordinators and members (None:
    as they are); the caller commits. Coordinators are always members, and so is whoever creates
    or saves a campaign (nobody locks themselves out; an admin sees every campaign anyway)."""
    # A crafted form may leave out a text field (None): it is empty text, not a crash.
    follow_ups = {kind: values[name] for kind, name in FOLLOW_UP_FIELDS.items() if name in values}
    values = {k: "" if values[k] is None else values[k] for k in CAMPAIGN_FIELDS if k in values}
    if follow_ups:  # only the texts that differ from the built-in wording are stored
        values["follow_up_templates"] = follow_up_templates(follow_ups)
    values["title"] = values["title"].strip()
    if "webhook_url" in values:
        values["webhook_url"] = (values["webhook_url"] or "").strip()
    if "mail_from" in values:
        values["mail_from"] = (values["mail_from"] or "").strip().lower()
    if "auto_confirm_acknowledgements" in values:
        values["auto_confirm_acknowledgements"] = bool(values["auto_confirm_acknowledgements"])
    if "double_entry" in values:
        values["double_entry"] = bool(values["double_entry"])
    if "aggregation_group" in values:  # blank: in no group (NULL), so blanks never match each other
        values["aggregation_group"] = values["aggregation_group"].strip()[:80] or None
    _check(session, values, campaign.id if campaign else None, webhook_allowed_hosts)
    if coordinator_ids is None:
        coordinators = list(campaign.coordinators) if campaign else []
    else:
        coordinators = _users(session, coordinator_ids)
    members = list(campaign.members) if campaign and member_ids is None else _users(session, member_ids or [])
    editor = session.get(User, user_id) if user_id is not None else None
    if editor is not None and editor.role != Role.ADMIN.value:
        members.append(editor)
    members = list({u.id: u for u in [*members, *coordinators]}.values())
    if campaign is None:
        campaign = Campaign(created_by_id=user_id, **values)
        campaign.coordinators = coordinators
        campaign.members = members
        session.add(campaign)
        session.flush()
        record(
            session,
            user_id=user_id,
            entity_type="campaign",
            entity_id=campaign.id,
            action="created",
            after=_state(campaign),
        )
    else:
        before = _state(campaign)
        for key, value in values.items():
            setattr(campaign, key, value)
        campaign.coordinators = coordinators
        campaign.members = members
        record(
            session,
            user_id=user_id,
            entity_type="campaign",
            entity_id=campaign.id,
            action="updated",
            before=before,
            after=_state(campaign),
        )
        session.flush()
        if (before["coordinators"], before["webhook_url"]) != (_state(campaign)["coordinators"], campaign.webhook_url):
            # Coordinators and the webhook receive the campaign's reminders: re-plan them.
            from .deadlines import recompute_requests

            recompute_requests(session, where=FoiRequest.campaign_id == campaign.id, replan=True)
    session.flush()
    return campaign


def _state(campaign: Campaign) -> dict:
    state = snapshot(campaign, CAMPAIGN_FIELDS)
    state["coordinators"] = sorted(u.email for u in campaign.coordinators)
    state["members"] = sorted(u.email for u in campaign.members)
    return state


def _users(session: Session, ids: list[int]) -> list[User]:
    return list(session.scalars(select(User).where(User.id.in_(ids)))) if ids else []


def may_manage_members(user, campaign: Campaign | None) -> bool:
    """Who chooses a campaign's coordinators and members: admins, its coordinators and whoever
    created it (on a new campaign, whoever may create one)."""
    if getattr(user, "role", None) == Role.ADMIN.value or campaign is None or campaign.created_by_id == user.id:
        return True
    return any(u.id == user.id for u in campaign.coordinators)


def letter_for(campaign: Campaign, authority, regime: str, today) -> str:
    """The campaign's letter with this council's details filled in."""
    from ..domain.letters import render_letter
    from ..domain.regimes import REGIME_LABELS
    from ..formatting import uk_date

    return render_letter(
        campaign.letter_template,
        {
            "authority_name": authority.official_name,
            "authority_short_name": authority.short_name,
            "authority_code": authority.code,
            "campaign_title": campaign.title,
            "regime_name": REGIME_LABELS[regime],
            "today": uk_date(today),
        },
    )


def find_campaign(session: Session, ref: str) -> Campaign | None:
    """A campaign by id, or else by its exact title ignoring case (Unicode-aware); None when
    there is none, or when the title names more than one (titles are unique only as typed,
    so "Budgets" and "budgets" can both exist)."""
    ref = (ref or "").strip()
    campaign_id = typed_id(ref)
    if campaign_id is not None:
        found = session.get(Campaign, campaign_id)
        if found is not None:
            return found
    wanted = ref.casefold()
    matches = [c for c in session.scalars(select(Campaign).order_by(Campaign.id)) if c.title.casefold() == wanted]
    return matches[0] if len(matches) == 1 else None
