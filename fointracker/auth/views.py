import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer

from ..domain.accounts import ThrottlePolicy
from ..extensions import db
from ..services import sessions as session_service
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


def throttle_policy() -> ThrottlePolicy:
    config = current_app.config
    return ThrottlePolicy(
        free=config["LOGIN_RATE_LIMIT"],
        window=timedelta(seconds=config["LOGIN_RATE_WINDOW_SECONDS"]),
        delay=timedelta(seconds=config["LOGIN_DELAY_SECONDS"]),
        max_delay=timedelta(seconds=config["LOGIN_MAX_DELAY_SECONDS"]),
    )


# The device cookie: set at each successful login, signed, naming the user and a random id for
# the browser. It logs nobody in; it lets its browser past the throttle's per-address and
# per-account delays (services.login_throttle counts its own failures instead).
DEVICE_COOKIE = "fointracker_device"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="fointracker.device-cookie")


def device_from_cookie() -> tuple[int, str] | None:
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        user_id, device_id = _device_serializer().loads(value)
    except (BadSignature, TypeError, ValueError):
        return None
    return (user_id, device_id) if isinstance(user_id, int) and isinstance(device_id, str) else None


def _set_device_cookie(response, user_id: int) -> None:
    device = device_from_cookie()
    device_id = device[1] if device and device[0] == user_id else secrets.token_urlsafe(16)
    response.set_cookie(
        DEVICE_COOKIE,
        _device_serializer().dumps([user_id, device_id]),
        max_age=DEVICE_COOKIE_MAX_AGE,
        secure=current_app.config["REMEMBER_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def forget_csrf_secret() -> None:
    """Flask-WTF makes a new CSRF secret on the next form: a token seen before login (or before
    logout) is no use after it. Its copy in `g` goes too, or this app context would reuse it."""
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)


def begin_session(user, *, remember: bool, new_csrf_secret: bool = True) -> None:
    """Log this browser in as `user` with a new session row (and, at login, a new CSRF secret)."""
    session_service.start_session(
        db.session, user, user_agent=request.headers.get("User-Agent", ""), ip=request.remote_addr or ""
    )
    db.session.commit()
    if new_csrf_secret:
        forget_csrf_secret()
    login_user(user, remember=remember)


def restart_own_session(user) -> None:
    """After the user's own password change (which ended all their sessions): this browser goes
    on in a new session, remembered again if it was."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    begin_session(user, remember=remembered, new_csrf_secret=False)  # the same person, with the page's forms


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        policy = throttle_policy()
        ticket = user_service.start_login(
            db.session,
            email=form.email.data,
            remote_addr=request.remote_addr or "",
            device=device_from_cookie(),
            policy=policy,
        )
        db.session.commit()  # counted before the password is checked: concurrent guesses see it
        outcome = user_service.finish_login(db.session, ticket, form.password.data, policy)
        db.session.commit()  # a failure stays counted
        if outcome.user is not None:
            begin_session(outcome.user, remember=form.remember.data)
            response = redirect(safe_next(form.next.data))
            _set_device_cookie(response, outcome.user.id)
            return response
        status = 429 if outcome.rate_limited else 200
        flash(outcome.message, "error")
        return render_template("auth/login.html", form=form), status
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    session_service.end_session(db.session, current_user.id, current_user.session_id)
    db.session.commit()
    logout_user()
    forget_csrf_secret()
    flash("You have logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        else:
            user = current_user._get_current_object()
            user_service.change_password(db.session, user, form.new_password.data)
            db.session.commit()
            restart_own_session(user)
            flash("Your password has been changed. Every other session of yours has been ended.", "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/change_password.html", form=form)
