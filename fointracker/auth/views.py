from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..services import users as user_service
from . import bp
from .forms import ChangePasswordForm, LoginForm


def safe_next(target: str | None) -> str:
    """Only local paths: `next` must never send a user to another site."""
    if not target:
        return url_for("main.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("main.dashboard")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):  # no control characters (a newline breaks the header)
        return url_for("main.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        outcome = user_service.authenticate(
            db.session,
            email=form.email.data,
            password=form.password.data,
            remote_addr=request.remote_addr or "",
            limit=current_app.config["LOGIN_RATE_LIMIT"],
            window_seconds=current_app.config["LOGIN_RATE_WINDOW_SECONDS"],
        )
        db.session.commit()  # a failure is counted, a success clears them
        if outcome.user is not None:
            login_user(outcome.user, remember=form.remember.data)
            return redirect(safe_next(form.next.data))
        status = 429 if outcome.rate_limited else 200
        flash(outcome.message, "error")
        return render_template("auth/login.html", form=form), status
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You have logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        else:
            current_user.set_password(form.new_password.data)
            db.session.commit()
            flash("Your password has been changed.", "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/change_password.html", form=form)
