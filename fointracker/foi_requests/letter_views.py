"""What the request page shows about letters (templates/foi_requests/_letters.html): the
follow-up letters ready to copy, and, on a draft, the s.12 aggregation warning before it is
marked sent. Template globals rather than routes: the page already has the request and its
events, and nothing here is posted."""

from __future__ import annotations

from .. import clock
from ..deadlines import page_calendars
from ..domain.lifecycle import Status
from ..extensions import db
from ..services.aggregation import request_aggregation_warning
from ..services.letters import follow_up_letters
from . import bp


@bp.app_template_global("follow_up_letters")
def _follow_up_letters(foi_request, events):
    return follow_up_letters(foi_request, events, clock.today(), page_calendars())


@bp.app_template_global("draft_aggregation_warning")
def _draft_aggregation_warning(foi_request):
    """For a draft: the requests of its campaign (or group) to the same council that it may
    be aggregated with if sent today (services.aggregation; Fees Regulations 2004 reg 5)."""
    if foi_request.sent_on is not None or foi_request.status != Status.DRAFT.value:
        return None
    return request_aggregation_warning(db.session, foi_request, clock.today())
