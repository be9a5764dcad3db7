"""Which request an incoming message belongs to (#16), and why.

The doors are tried in the issue's order, each more of a guess than the one before, and the
first that names exactly one request wins; its reason is kept on the message and shown:

1. the request's own reply address (MAIL_REPLY_TO's token among the recipients);
2. the thread: In-Reply-To / References naming a message of ours (sent, or filed earlier);
3. a reference in the subject or text: ours ("FT-123") or the council's (exact token, unique);
4. the sender's domain: a council's website or FOI address domain, when exactly one campaign has
   exactly one open request to that council.

Nothing, or more than one candidate, is triage: `Match.request` is None and the reason says what
was found. A bounce is matched by the message that bounced (its headers, then its recipient).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import message_from_bytes, message_from_string, policy
from email.utils import getaddresses
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.lifecycle import OPEN_STATUSES
from ..domain.mail.parsing import ParsedMessage
from ..domain.mail.references import find_our_references, token_from_addresses
from ..models import Authority, CampaignContact, FoiRequest
from ..models.mail import MailMessage

OPEN = sorted(status.value for status in OPEN_STATUSES)
# Our outgoing Message-IDs are <ft.{request id}.{random}@{domain}> (services.mail_sending): a
# reply to a letter sent from the mail merge, never stored here, still names its request.
OUR_MESSAGE_ID = re.compile(r"^<ft\.(\d{1,12})\.[A-Za-z0-9_-]+@[^>]+>$")
# A council's reference is one token: letters, digits and the separators councils use.
REFERENCE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.:-]*[A-Za-z0-9]")
MAX_REFERENCE_TOKENS = 500  # distinct tokens with a digit looked up, from the subject first
MAX_THREAD_IDS = 50


@dataclass
class Match:
    request: FoiRequest | None
    reason: str
    campaign_id: int | None = None  # triage inside one campaign (its members see it)


@dataclass
class BouncedOriginal:
    """The headers of the message that bounced, as a delivery status notification quotes them."""

    message_id: str = ""
    references: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # its From, Reply-To, Sender: our reply address
    recipients: list[str] = field(default_factory=list)  # its To, Cc
    subject: str = ""


def match_message(session: Session, parsed: ParsedMessage, config: Mapping, raw: bytes | None = None) -> Match:
    """The request `parsed` belongs to, or triage with the reason."""
    if parsed.is_bounce:
        return _match_bounce(session, parsed, config, raw)
    found = (
        by_reply_address(session, parsed.to_addrs, config)
        or by_thread(session, [parsed.in_reply_to, *parsed.references])
        or by_reference(session, parsed.subject, parsed.text)
    )
    if found:
        return found
    if parsed.is_auto_reply and raw:  # a delivery delay notice quotes our letter, as a bounce does
        original = bounced_original(raw)
        found = by_reply_address(session, original.addresses, config) or by_thread(
            session, [original.message_id, *original.references]
        )
        if found:
            return Match(found.request, f"an automatic notice about our mail: {found.reason}")
    return by_sender_domain(session, parsed.from_addr)


# ---------------------------------------------------------------- 1. the reply address


def by_reply_address(session: Session, addresses: list[str], config: Mapping) -> Match | None:
    template = (config.get("MAIL_REPLY_TO") or "").strip()
    if not template or not addresses:
        return None
    token = token_from_addresses(template, list(addresses))
    if not token:
        return None
    foi_request = session.scalar(select(FoiRequest).where(FoiRequest.reply_token == token.lower()))
    if foi_request is None:
        return None
    return Match(foi_request, "sent to this request's own reply address")


# ---------------------------------------------------------------- 2. the thread


def by_thread(session: Session, message_ids: list[str]) -> Match | None:
    ids = list(dict.fromkeys(m.strip() for m in message_ids if m and m.strip()))[-MAX_THREAD_IDS:]
    if not ids:
        return None
    rows = session.execute(
        select(MailMessage.message_id, MailMessage.request_id, MailMessage.direction)
        .where(MailMessage.message_id.in_(ids), MailMessage.request_id.is_not(None))
        .order_by(MailMessage.id.desc())
    ).all()
    # Our own letters first, then the latest message filed in the thread.
    rows.sort(key=lambda row: row.direction != "out")
    for row in rows:
        foi_request = session.get(FoiRequest, row.request_id)
        if foi_request is not None:
            what = "our message" if row.direction == "out" else "a message filed to this request"
            return Match(foi_request, f"a reply in the thread of {what} {row.message_id}")
    for message_id in reversed(ids):
        found = OUR_MESSAGE_ID.match(message_id)
        foi_request = session.get(FoiRequest, int(found.group(1))) if found else None
        if foi_request is not None:
            return Match(foi_request, f"a reply in the thread of our message {message_id}")
    return None


# ---------------------------------------------------------------- 3. a reference


def by_reference(session: Session, subject: str, text: str) -> Match | None:
    ours = [i for i in dict.fromkeys(find_our_references(f"{subject}\n{text}")) if i < 2**31]
    if ours:
        requests = session.scalars(select(FoiRequest).where(FoiRequest.id.in_(ours))).all()
        if len(requests) == 1:
            return Match(requests[0], f"our reference FT-{requests[0].id} in the subject or text")
    tokens = reference_tokens(subject, text)
    if not tokens:
        return None
    candidates = session.scalars(
        select(FoiRequest)
        .where(FoiRequest.council_reference != "", func.upper(FoiRequest.council_reference).in_(tokens))
        .limit(2)
    ).all()
    if len(candidates) == 1:
        return Match(candidates[0], f"the council's reference {candidates[0].council_reference} in the subject or text")
    return None


def reference_tokens(subject: str, text: str) -> list[str]:
    """The distinct tokens with a digit in them (upper case), the subject's first: a council's
    reference is one of them if it is there at all."""
    found = dict.fromkeys(
        token.upper() for token in REFERENCE_TOKEN.findall(f"{subject}\n{text}") if any(c.isdigit() for c in token)
    )
    return list(found)[:MAX_REFERENCE_TOKENS]


# ---------------------------------------------------------------- 4. the sender's domain


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().lower().rstrip(".") if "@" in (address or "") else ""


def website_host(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    return host.lower().removeprefix("www.")


def _same_or_below(domain: str, host: str) -> bool:
    return bool(host) and (domain == host or domain.endswith("." + host))


def by_sender_domain(session: Session, from_addr: str) -> Match:
    domain = domain_of(from_addr)
    if not domain:
        return Match(None, "no sender address, and no reply address, thread or reference of ours")
    councils = {
        row.id: row.short_name
        for row in session.execute(select(Authority.id, Authority.short_name, Authority.website, Authority.foi_email))
        if _same_or_below(domain, website_host(row.website)) or domain_of(row.foi_email) == domain
    }
    # A campaign's own address for a council counts for that campaign only.
    own = session.execute(
        select(CampaignContact.campaign_id, CampaignContact.authority_id).where(
            func.lower(CampaignContact.foi_email).like(f"%@{_like_escape(domain)}", escape="\\")
        )
    ).all()
    if not councils and not own:
        return Match(None, f"nothing of ours in it, and its sender's domain {domain} is no council's")
    open_requests = session.execute(
        select(FoiRequest.id, FoiRequest.campaign_id, FoiRequest.authority_id).where(
            FoiRequest.status.in_(OPEN),
            FoiRequest.authority_id.in_(sorted(set(councils) | {row.authority_id for row in own})),
        )
    ).all()
    pairs = {(row.campaign_id, row.authority_id) for row in own}
    candidates = [r for r in open_requests if r.authority_id in councils or (r.campaign_id, r.authority_id) in pairs]
    names = ", ".join(sorted(set(councils.values()))) or domain
    if not candidates:
        return Match(None, f"the sender's domain {domain} is {names}'s, which has no open request")
    campaigns = {r.campaign_id for r in candidates}
    if len(candidates) == 1:
        foi_request = session.get(FoiRequest, candidates[0].id)
        return Match(foi_request, f"the sender's domain {domain} is {names}'s, with one open request in this campaign")
    if len(campaigns) > 1:
        return Match(
            None, f"the sender's domain {domain} is {names}'s, with open requests in {len(campaigns)} campaigns"
        )
    return Match(
        None,
        f"the sender's domain {domain} is {names}'s, with {len(candidates)} open requests in one campaign",
        campaign_id=campaigns.pop(),
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---------------------------------------------------------------- bounces


def _match_bounce(session: Session, parsed: ParsedMessage, config: Mapping, raw: bytes | None) -> Match:
    original = bounced_original(raw) if raw else BouncedOriginal()
    found = (
        by_reply_address(session, original.addresses, config)
        or by_thread(session, [original.message_id, *original.references])
        or by_thread(session, [parsed.in_reply_to, *parsed.references])
        or (by_reference(session, original.subject, "") if original.subject else None)
    )
    if found:
        return Match(found.request, f"a bounce of our mail: {found.reason}")
    recipients = list(dict.fromkeys([*parsed.bounced_recipients, *original.recipients]))
    if recipients:
        request_ids = set(
            session.scalars(
                select(MailMessage.request_id).where(
                    MailMessage.direction == "out",
                    MailMessage.request_id.is_not(None),
                    func.lower(MailMessage.to_addr).in_([r.lower() for r in recipients]),
                )
            )
        )
        if len(request_ids) == 1:
            foi_request = session.get(FoiRequest, request_ids.pop())
            if foi_request is not None:
                return Match(foi_request, f"a bounce of our mail to {recipients[0]}")
        if request_ids:
            return Match(None, f"a bounce of mail to {recipients[0]}, which several requests were sent to")
    return Match(None, "a bounce that names no message or address of ours")


def bounced_original(raw: bytes) -> BouncedOriginal:
    """The headers of the message a delivery status notification returns (RFC 3464: its
    message/rfc822 or text/rfc822-headers part), or nothing when it quotes none."""
    try:
        message = message_from_bytes(raw, policy=policy.default)
        for part in message.walk():
            kind = part.get_content_type()
            if kind in ("message/rfc822", "message/global"):
                inner = part.get_payload()
                headers = inner[0] if isinstance(inner, list) and inner else None
            elif kind in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
                payload = part.get_payload(decode=True) or b""
                headers = message_from_string(payload.decode("utf-8", "replace"), policy=policy.default)
            else:
                continue
            if headers is None:
                continue
            return BouncedOriginal(
                message_id=str(headers.get("Message-ID") or "").strip(),
                references=str(headers.get("References") or "").split(),
                addresses=_addresses(headers, ("From", "Reply-To", "Sender")),
                recipients=_addresses(headers, ("To", "Cc")),
                subject=str(headers.get("Subject") or ""),
            )
    except Exception:  # noqa: BLE001 - a broken bounce is matched by its recipients instead
        pass
    return BouncedOriginal()


def _addresses(headers, names) -> list[str]:
    values = []
    for name in names:
        try:
            values.append(str(headers.get(name) or ""))
        except Exception:  # noqa: BLE001 - an undecodable header is skipped
            continue
    return [address.lower() for _, address in getaddresses(values) if address]
