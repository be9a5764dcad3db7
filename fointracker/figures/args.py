"""Ids read from a figures page's query string (?campaign=, ?question=, ?entered_by=, ?queue=)."""

from __future__ import annotations

from flask import abort, request

from ..auth.permissions import get_campaign_or_404
from ..domain.text import typed_id
from ..models import Campaign


def id_arg(name: str, source=None) -> int | None:
    """The id in `name` (of the query string, or `source`), or None when absent or not an id."""
    text = (source if source is not None else request.args).get(name, "")
    return typed_id(text) if text else None


def campaign_arg(source=None) -> Campaign | None:
    """The campaign ?campaign= (or a posted `campaign`) names: 404 if the user may not see it, or
    it is no id; None when none is named."""
    text = (source if source is not None else request.values).get("campaign", "")
    if not text:
        return None
    campaign_id = typed_id(text)
    if campaign_id is None:
        abort(404)
    return get_campaign_or_404(campaign_id)
