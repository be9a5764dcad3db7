from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..auth.permissions import requires
from ..domain.deadlines import CalendarName, ClockEvents, compute_deadlines
from ..extensions import db
from ..models import ClosureDay
from ..services.calendar import (
    CALENDAR_CHOICES,
    ClosureError,
    add_closure,
    delete_closure,
)
from ..services.deadlines import Calendars, council_expected_due, council_expected_due_for
from . import bp, page_calendars
from .forms import CalculatorForm, ClosureForm


@bp.route("/calculator")
def calculator():
    form = CalculatorForm(request.args)
    deadlines = expected = None
    if request.args and form.validate():
        events = ClockEvents(
            clarification_received=form.clarified.data,
            fee_pauses=((form.fee_notice.data, form.fee_paid.data),) if form.fee_notice.data else (),
            extension_working_days=form.extension.data or 0,
            extension_claimed_on=form.extension_claimed.data,
        )
        calendars = Calendars.from_db(db.session)
        deadlines = compute_deadlines(
            form.regime.data, form.received.data, events, calendars.for_regime(form.regime.data)
        )
        expected = council_expected_due(form.regime.data, form.received.data, events, calendars)
    return render_template(
        "deadlines/calculator.html",
        form=form,
        deadlines=deadlines,
        expected=expected,
        submitted=bool(request.args),
        today=clock.today(),
        soon_days=current_app.config["DUE_SOON_WORKING_DAYS"],
    )


@bp.route("/closures", methods=["GET", "POST"])
@requires("admin")
def closures():
    form = ClosureForm()
    if form.validate_on_submit():
        try:
            moved = add_closure(
                db.session,
                day=form.day.data,
                name=form.name.data,
                calendar=form.calendar.data,
                remove=form.remove.data,
                user_id=current_user.id,
            )
            db.session.commit()
        except ClosureError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(exc.message)
        else:
            if form.remove.data:
                flash(f"Holiday removed; deadlines recomputed ({moved} request(s) moved).", "success")
            else:  # a closure is a working day in law: only the council's expected dates move
                flash(
                    "Closure day added. Statutory deadlines do not move (office closures are working days in law: "
                    "FOIA s.10(6), FOISA s.73); requests show the council's expected date beside them.",
                    "success",
                )
            return redirect(url_for(".closures"))
    rows = db.session.scalars(select(ClosureDay).order_by(ClosureDay.day.desc())).all()
    year = request.args.get("year", clock.today().year, type=int)
    if not 1 < year < 9999:  # outside what dates can hold: show this year
        year = clock.today().year
    calendars = Calendars.from_db(db.session)
    before, last = date(year - 1, 12, 31), date(year, 12, 31)
    holidays = {
        CALENDAR_CHOICES[name.value]: [
            d
            for d in calendars.council_for_regime(name.regimes[0]).skipped_days(before, last)
            if d.reason not in ("Saturday", "Sunday")
        ]
        for name in CalendarName
    }
    return render_template(
        "deadlines/closures.html", form=form, rows=rows, calendars=CALENDAR_CHOICES, holidays=holidays, year=year
    )


@bp.route("/closures/<id:closure_id>/delete", methods=["POST"])
@requires("admin")
def delete(closure_id: int):
    closure = db.get_or_404(ClosureDay, closure_id)
    moved = delete_closure(db.session, closure, current_user.id)
    db.session.commit()
    flash(f"Removed; deadlines recomputed ({moved} request(s) moved).", "success")
    return redirect(url_for(".closures"))


@bp.app_template_global("council_expected_due_of")
def council_expected_due_of(foi_request):
    """The council's own expected date for a request (its office closures counted), or None
    when it is the statutory date."""
    return council_expected_due_for(foi_request, page_calendars())
