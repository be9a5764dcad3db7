"""The user's own sessions (/account/sessions): where they are logged in, and ending them."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, logout_user

from ..extensions import db
from ..services import sessions as session_service
from . import bp
from .forms import EndSessionForm


@bp.route("/account/sessions")
def sessions():
    return render_template(
        "auth/sessions.html",
        sessions=session_service.open_sessions(db.session, current_user.id),
        this_session=current_user.session_id,
        form=EndSessionForm(),
    )


@bp.route("/account/sessions/end", methods=["POST"])
def end_session():
    form = EndSessionForm()
    if not form.validate_on_submit():
        flash("That session could not be ended: reload the page and try again.", "error")
        return redirect(url_for(".sessions"))
    if not session_service.end_session(db.session, current_user.id, form.session_id.data):
        flash("That session has already ended.", "info")
        return redirect(url_for(".sessions"))
    db.session.commit()
    if form.session_id.data == current_user.session_id:
        logout_user()
        flash("You have ended this session and logged out.", "info")
        return redirect(url_for(".login"))
    flash("The session has been ended: that browser is logged out.", "success")
    return redirect(url_for(".sessions"))
