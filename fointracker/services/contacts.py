"""Councils' FOI addresses: the register's (Authority.foi_email), a campaign's own, and the
import of the group's own list (`fointracker authorities contacts import`).

No licensed dataset of council FOI addresses exists (README): every address is typed on a
council's page or imported from a list the group keeps. A campaign's address for a council
(CampaignContact) wins over the register's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.email_addresses import address_problem
from ..domain.text import control_character
from ..models import Authority, CampaignContact
from ..tabular import Layout, Limits, Problem, TableError, format_problem, read_csv, table
from .audit import record, snapshot

REGISTER = "council register"
CAMPAIGN = "campaign"
ADDRESS_FIELDS = ("foi_email", "foi_email_source", "foi_email_checked_on")


class AddressError(ValueError):
    def __init__(self, message: str, field: str = "foi_email"):
        super().__init__(message)
        self.message = message
        self.field = field


def checked_address(text: str | None) -> str:
    """`text` stripped, if it is one bare email address; else AddressError with the reason."""
    text = (text or "").strip()
    problem = address_problem(text)
    if problem:
        raise AddressError(f"The address {problem}.")
    return text


# ---------------------------------------------------------------- which address a request goes to


def foi_address(session: Session, campaign_id: int | None, authority_id: int) -> tuple[str, str]:
    """(address, where it comes from: CAMPAIGN or REGISTER); ("", "") when there is none."""
    if campaign_id is not None:
        own = session.scalar(
            select(CampaignContact.foi_email).where(
                CampaignContact.campaign_id == campaign_id, CampaignContact.authority_id == authority_id
            )
        )
        if own:
            return own, CAMPAIGN
    registered = session.scalar(select(Authority.foi_email).where(Authority.id == authority_id))
    return (registered, REGISTER) if registered else ("", "")


def foi_addresses(
    session: Session, campaign_id: int, authority_ids: Iterable[int] | None = None
) -> dict[int, tuple[str, str]]:
    """foi_address for many councils at once, in one query: {authority id: (address, source)},
    for `authority_ids` (None: every council the campaign has an address for or the register
    has one for). A council with no address is absent."""
    stmt = (
        select(Authority.id, Authority.foi_email, CampaignContact.foi_email)
        .select_from(Authority)
        .outerjoin(
            CampaignContact,
            (CampaignContact.authority_id == Authority.id) & (CampaignContact.campaign_id == campaign_id),
        )
    )
    if authority_ids is not None:
        ids = list(dict.fromkeys(authority_ids))
        if not ids:
            return {}
        stmt = stmt.where(Authority.id.in_(ids))
    found = {}
    for authority_id, registered, own in session.execute(stmt):
        if own:
            found[authority_id] = (own, CAMPAIGN)
        elif registered:
            found[authority_id] = (registered, REGISTER)
    return found


def councils_without_address(session: Session, campaign_id: int, councils: Iterable[Authority]) -> list[Authority]:
    """Those of `councils` with neither a campaign address nor a register one (one query)."""
    councils = list(councils)
    found = foi_addresses(session, campaign_id, (a.id for a in councils))
    return [a for a in councils if a.id not in found]


# ---------------------------------------------------------------- a campaign's own address


def campaign_address(session: Session, campaign_id: int, authority_id: int) -> CampaignContact | None:
    return session.scalar(
        select(CampaignContact).where(
            CampaignContact.campaign_id == campaign_id, CampaignContact.authority_id == authority_id
        )
    )


def set_campaign_address(
    session: Session, campaign_id: int, authority: Authority, text: str | None, user_id: int | None
) -> CampaignContact | None:
    """The campaign's own address for `authority`; a blank `text` clears it (the register's
    address applies again). Returns the row, or None once cleared."""
    text = (text or "").strip()
    contact = campaign_address(session, campaign_id, authority.id)
    before = {"foi_email": contact.foi_email if contact else ""}
    if not text:
        if contact is not None:
            session.delete(contact)
        contact = None
    else:
        text = checked_address(text)
        if contact is None:
            contact = CampaignContact(campaign_id=campaign_id, authority_id=authority.id, foi_email=text)
            session.add(contact)
        else:
            contact.foi_email = text
    record(
        session,
        user_id=user_id,
        entity_type="campaign",
        entity_id=campaign_id,
        action="updated",
        before={"authority": authority.code, **before},
        after={"authority": authority.code, "foi_email": contact.foi_email if contact else ""},
    )
    session.flush()
    return contact


# ---------------------------------------------------------------- importing the group's own list

MAX_ROWS = 5_000  # every council of the register, current and abolished, is fewer than 1,000
MAX_BYTES = 2 * 1024 * 1024


class ContactsFileError(TableError):
    """The file could not be imported; `problems` lists (row, column, reason)."""


LAYOUT = Layout(
    error=ContactsFileError,
    columns=("authority", "foi_email"),
    optional=("source",),
    no_header="row 1 must name the columns: authority, foi_email (and optionally source)",
    twice="this column appears twice",
    missing="missing column (the header needs authority and foi_email)",
    not_utf8="save it from the spreadsheet as “CSV UTF-8”",
    file_column="(file)",
    file_row=True,
    fold_case=True,
    max_rows=MAX_ROWS,
)
LIMITS = Limits(max_rows=MAX_ROWS, max_columns=50, max_unpacked_bytes=MAX_BYTES)


@dataclass
class ContactsImport:
    added: int = 0  # councils that had no address
    changed: int = 0  # councils whose address is now another
    unchanged: int = 0  # the same address (marked checked again)
    problems: list[Problem] = field(default_factory=list)

    def error_lines(self) -> list[str]:
        return [format_problem(p) for p in self.problems]

    def __str__(self) -> str:
        return f"{self.added} added, {self.changed} changed, {self.unchanged} unchanged"


class RegisterMatcher:
    """A council of the register by its code (KEN) or GSS code (E10000016), as the register
    import keys councils by code and the figures import reads GSS codes first."""

    def __init__(self, session: Session):
        self.councils = list(session.scalars(select(Authority)))
        self.by_code = {a.code.upper(): a for a in self.councils}
        self.by_gss: dict[str, list[Authority]] = {}
        for a in self.councils:
            if a.gss_code:
                self.by_gss.setdefault(a.gss_code.upper(), []).append(a)

    def match(self, text: str) -> tuple[Authority | None, str]:
        key = "".join(text.split()).upper()
        if not key:
            return None, "no council given"
        if key in self.by_code:
            return self.by_code[key], ""
        found = self.by_gss.get(key, [])
        current = [a for a in found if a.is_current]
        if len(found) == 1 or len(current) == 1:
            return (found if len(found) == 1 else current)[0], ""
        if found:
            return None, f"{text!r} is the GSS code of several councils: give the register code"
        return None, f"no council has the code or GSS code {text!r} (see the council register)"


def import_contacts(session: Session, filename: str, data: bytes | str, today: date) -> ContactsImport:
    """Upsert the register's FOI addresses from a CSV (authority, foi_email, optional source).
    All or nothing: with any problem nothing is written and `problems` lists each one; else
    every row's council gets its address, its source (the row's, or the file's name) and
    `today` as the day it was checked. Flushes; the caller commits."""
    result = ContactsImport()
    try:
        rows = table(read_csv(data, LAYOUT, LIMITS), LAYOUT)
    except ContactsFileError as exc:
        result.problems = exc.problems
        return result
    result.problems = list(rows.problems)
    if result.problems:
        return result
    councils = RegisterMatcher(session)
    planned: dict[int, tuple[Authority, str, str]] = {}
    first_row: dict[int, int] = {}
    for row in rows:
        authority, reason = councils.match(row["authority"])
        if authority is None:
            row.problem("authority", reason)
        elif authority.id in first_row:
            row.problem(
                "authority", f"{authority.official_name} ({authority.code}) is also on row {first_row[authority.id]}"
            )
        problem = address_problem(row["foi_email"])
        if problem:
            row.problem("foi_email", problem)
        source = row["source"] or filename
        if len(source) > 200:
            row.problem("source", "is longer than 200 characters")
        elif control_character(source) or "\n" in source or "\r" in source:
            row.problem("source", "must be one line of plain text")
        if authority is not None and authority.id not in first_row:
            first_row[authority.id] = row.number
        if row.problems:
            result.problems += row.problems
        else:
            planned[authority.id] = (authority, row["foi_email"], source)
    if not planned and not result.problems:
        result.problems.append((2, "authority", "the file lists no council"))
    if result.problems:
        return result
    for authority, address, source in planned.values():
        before = snapshot(authority, ADDRESS_FIELDS)
        if not authority.foi_email:
            result.added += 1
        elif authority.foi_email != address:
            result.changed += 1
        else:
            result.unchanged += 1
        authority.foi_email, authority.foi_email_source, authority.foi_email_checked_on = address, source, today
        record(
            session,
            user_id=None,
            entity_type="authority",
            entity_id=authority.id,
            action="updated",
            before=before,
            after=snapshot(authority, ADDRESS_FIELDS),
        )
    session.flush()
    return result
