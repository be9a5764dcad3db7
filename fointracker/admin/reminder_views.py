"""The reminder outbox for admins: what was sent, what failed and why, and the scheduler's heartbeat."""

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..domain.reminders import KIND_LABELS
from ..extensions import db
from ..models import Reminder
from ..scheduler import heartbeat_status
from ..services.reminder_admin import RetryError, age_text, can_retry, outbox_query, retry_now, status_counts
from . import bp
from .reminder_forms import ReminderFilterForm

FILTER_NAMES = ("status", "kind", "channel", "q")


@bp.route("/reminders")
def reminders():
    form = ReminderFilterForm(request.args)
    understood = form.validate()
    values = {
        name: (getattr(form, name).data or None) if not getattr(form, name).errors else None for name in FILTER_NAMES
    }
    pagination = db.paginate(
        outbox_query(**values), page=request.args.get("page", 1, type=int), per_page=50, count=True
    )
    heartbeat = heartbeat_status(db.session)
    heartbeat_at = datetime.fromisoformat(heartbeat["heartbeat_at"]) if heartbeat.get("heartbeat_at") else None
    last_sweep_at = datetime.fromisoformat(heartbeat["last_sweep_at"]) if heartbeat.get("last_sweep_at") else None
    return render_template(
        "admin/reminders.html",
        form=form,
        pagination=pagination,
        counts=status_counts(db.session),
        heartbeat=heartbeat,
        heartbeat_at=heartbeat_at,
        last_sweep_at=last_sweep_at,
        heartbeat_age=age_text(heartbeat.get("seconds_since_heartbeat")),
        kind_labels={kind.value: label for kind, label in KIND_LABELS.items()},
        now=clock.now(),
        can_retry=can_retry,
        filters_active=any(values.values()),
        understood=understood,
    )


@bp.route("/reminders/<id:reminder_id>/retry", methods=["POST"])
def retry_reminder(reminder_id: int):
    reminder = db.get_or_404(Reminder, reminder_id)
    try:
        retry_now(db.session, reminder, current_user.id)
        db.session.commit()
    except RetryError as exc:
        db.session.rollback()
        flash(f"Reminder {reminder_id} was not retried: {exc}.", "error")
    else:
        flash(f"Reminder {reminder_id} will be tried again at the next sweep.", "success")
    return redirect(_back())


def _back() -> str:
    """Back to the list as it was filtered (only ever to the outbox page)."""
    back = request.form.get("back", "")
    listing = url_for(".reminders")
    if back.startswith(listing) and "//" not in back and "\\" not in back and back.isprintable():
        return back
    return listing
