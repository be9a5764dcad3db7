"""Mail merge (#16), for groups that must send from their own mailbox: each draft request's
letter as a ready .eml draft (X-Unsent: 1, so Outlook opens it ready to send) in a ZIP, and the
same as a CSV for a Word/Outlook mail merge. Each carries the council's address, the request's
own reply address and our reference in the subject, so replies are filed as if we had sent it.

Two steps: `prepare` gives every request its reply token (a write: the caller commits, so the
addresses in the files are the ones replies will be matched by), then `rows` reads them back in
batches and the edge streams the files; the ZIP is written to a non-seekable stream, chunk by
chunk, never whole in memory.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..domain.lifecycle import Status
from ..domain.mail.outgoing import build_message, subject_line
from ..domain.mail.references import our_mail_reference
from ..exports import csv_stream
from ..models import FoiRequest
from .contacts import foi_addresses
from .mail_sending import reply_to_for

CSV_COLUMNS = ("request_id", "council", "to", "reply_to", "subject", "body")
BATCH = 200
MAX_REQUESTS = 5000  # a campaign to every UK council is about 400; this bounds a download


@dataclass(frozen=True)
class MergeRow:
    request_id: int
    council: str
    to: str
    reply_to: str
    subject: str
    body: str


def draft_requests(campaign_id: int, request_ids: Iterable[int] | None = None):
    """SELECT of the campaign's requests not yet sent that have a letter (optionally only `request_ids`)."""
    stmt = select(FoiRequest).where(
        FoiRequest.campaign_id == campaign_id,
        FoiRequest.status == Status.DRAFT.value,
        FoiRequest.sent_on.is_(None),
        FoiRequest.body != "",
    )
    if request_ids is not None:
        stmt = stmt.where(FoiRequest.id.in_(list(request_ids)))
    return stmt.order_by(FoiRequest.id).limit(MAX_REQUESTS)


def prepare(session: Session, campaign_id: int, config: Mapping, request_ids: Iterable[int] | None = None) -> int:
    """Give each draft its reply token (when MAIL_REPLY_TO is set); how many drafts there are. Flushes."""
    count = 0
    for foi_request in session.scalars(draft_requests(campaign_id, request_ids)):
        reply_to_for(foi_request, config)
        count += 1
    session.flush()
    return count


def rows(
    session: Session, campaign_id: int, config: Mapping, request_ids: Iterable[int] | None = None
) -> Iterator[MergeRow]:
    """One row per draft request with an FOI address, in batches (councils without one are left
    out: the page lists them). Read-only: `prepare` made the tokens."""
    ids = list(session.scalars(draft_requests(campaign_id, request_ids).with_only_columns(FoiRequest.id)))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        found = list(
            session.scalars(
                select(FoiRequest)
                .where(FoiRequest.id.in_(chunk))
                .options(joinedload(FoiRequest.authority), joinedload(FoiRequest.campaign))
                .order_by(FoiRequest.id)
            )
        )
        addresses = foi_addresses(session, campaign_id, [r.authority_id for r in found])
        for foi_request in found:
            to, _source = addresses.get(foi_request.authority_id, ("", ""))
            if not to:
                continue
            template = (config.get("MAIL_REPLY_TO") or "").strip()
            reply_to = reply_to_for(foi_request, config) if template and foi_request.reply_token else ""
            yield MergeRow(
                request_id=foi_request.id,
                council=foi_request.authority.short_name,
                to=to,
                reply_to=reply_to,
                subject=subject_line("request", foi_request.subject, our_mail_reference(foi_request.id)),
                body=foi_request.body.replace("\r\n", "\n").strip() + "\n",
            )


def csv_chunks(merge_rows: Iterable[MergeRow]) -> Iterator[str]:
    """The CSV for Word/Outlook mail merge (columns CSV_COLUMNS), formula-neutralised by exports."""
    return csv_stream(CSV_COLUMNS, ((r.request_id, r.council, r.to, r.reply_to, r.subject, r.body) for r in merge_rows))


def eml_bytes(row: MergeRow) -> bytes:
    message = build_message(
        from_addr="", to_addr=row.to, subject=row.subject, body=row.body, reply_to=row.reply_to, draft=True
    )
    return message.as_bytes()


def eml_name(row: MergeRow) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", row.council.lower()).strip("-")[:60] or "council"
    return f"{row.request_id}-{slug}.eml"


class _Chunks(io.RawIOBase):
    """A write-only, non-seekable stream collecting what zipfile writes, handed out chunk by chunk."""

    def __init__(self):
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_chunks(merge_rows: Iterable[MergeRow]) -> Iterator[bytes]:
    """A ZIP of one .eml draft per row, streamed: each file's bytes leave as soon as it is written."""
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for row in merge_rows:
            archive.writestr(eml_name(row), eml_bytes(row))
            chunk = sink.take()
            if chunk:
                yield chunk
    yield sink.take()
