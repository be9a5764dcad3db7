"""The user's own reminder preferences and calendar link (/account/reminders)."""

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user

from ..domain.reminders import ReminderKind
from ..extensions import db
from ..services.preferences import PreferenceError, new_calendar_token, save_preferences, user_kinds_off
from . import bp
from .account_forms import CalendarLinkForm, ReminderPreferencesForm

# A new calendar token waits here (in the signed, HttpOnly session cookie) between the POST that
# makes it and the page that shows it, once: the database keeps only its digest.
NEW_CALENDAR_TOKEN = "new_calendar_token"


@bp.route("/account/reminders", methods=["GET", "POST"])
def reminder_preferences():
    user = current_user._get_current_object()
    form = ReminderPreferencesForm()
    if not form.is_submitted():
        off = set(user_kinds_off(user))
        form.mode.data = user.reminder_mode
        form.digest_hour.data = user.digest_hour
        form.kinds.data = [kind.value for kind in ReminderKind if kind.value not in off]
    elif form.validate():
        wanted = set(form.kinds.data or [])
        try:
            save_preferences(
                db.session,
                user,
                mode=form.mode.data,
                digest_hour=form.digest_hour.data,
                kinds_off=[kind.value for kind in ReminderKind if kind.value not in wanted],
                actor_id=user.id,
            )
            db.session.commit()
        except PreferenceError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash("Your reminder preferences have been saved.", "success")
            return redirect(url_for(".reminder_preferences"))
    new_token = session.pop(NEW_CALENDAR_TOKEN, None)
    new_calendar_url = url_for("calendar.feed", token=new_token, _external=True) if new_token else None
    return render_template(
        "auth/reminders.html",
        form=form,
        link_form=CalendarLinkForm(prefix="calendar"),
        new_calendar_url=new_calendar_url,
        has_calendar_link=user.calendar_token_hash is not None,
    )


@bp.route("/account/reminders/calendar-link", methods=["POST"])
def calendar_link():
    form = CalendarLinkForm(prefix="calendar")
    if form.validate_on_submit():
        replaced = current_user.calendar_token_hash is not None
        session[NEW_CALENDAR_TOKEN] = new_calendar_token(
            db.session, current_user._get_current_object(), current_user.id
        )
        db.session.commit()
        flash(
            "Your calendar link has been replaced: the old one no longer works."
            if replaced
            else "Your calendar link has been created.",
            "success",
        )
    return redirect(url_for(".reminder_preferences"))
