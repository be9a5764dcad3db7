from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..auth.permissions import requires
from ..auth.views import restart_own_session
from ..extensions import db
from ..models import User
from ..services.audit import record, snapshot
from ..services.sessions import end_all_sessions
from ..services.users import UserError, change_password, create_user, generate_password
from . import bp
from .forms import EditUserForm, NewUserForm


@bp.before_request
@requires("admin")
def admins_only():
    """Every page of the admin area is for admins."""


@bp.route("/")
def index():
    return render_template("admin/index.html")


@bp.route("/users")
def users():
    pagination = db.paginate(
        select(User).order_by(User.email), page=request.args.get("page", 1, type=int), per_page=50, count=True
    )
    return render_template("admin/users.html", pagination=pagination)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        password = form.password.data or generate_password()
        try:
            user = create_user(
                db.session, email=form.email.data, role=form.role.data, password=password, name=form.name.data or ""
            )
        except UserError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            record(
                db.session,
                user_id=current_user.id,
                entity_type="user",
                entity_id=user.id,
                action="created",
                after=snapshot(user, ("email", "role", "name")),
            )
            db.session.commit()
            if not form.password.data:
                # Shown on this page only: a flash would carry it in the session cookie, which is
                # signed but not encrypted.
                response = make_response(render_template("admin/user_created.html", user=user, password=password))
                response.headers["Cache-Control"] = "no-store"
                return response
            flash(f"User {user.email} created.", "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<id:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    if form.validate_on_submit():
        if user.id == current_user.id and (form.role.data != user.role or not form.active.data):
            form.role.errors.append("You cannot remove your own admin role or log-in; ask another admin.")
        else:
            before = snapshot(user, ("name", "role", "active"))
            user.name, user.role, user.active = form.name.data or "", form.role.data, form.active.data
            if form.new_password.data:
                change_password(db.session, user, form.new_password.data)  # ends their sessions
            elif not user.active:
                end_all_sessions(db.session, user.id)
            after = snapshot(user, ("name", "role", "active"))
            if form.new_password.data:
                after["password"] = "changed"  # the fact, never the value
            record(
                db.session,
                user_id=current_user.id,
                entity_type="user",
                entity_id=user.id,
                action="updated",
                before=before,
                after=after,
            )
            db.session.commit()
            if form.new_password.data and user.id == current_user.id:
                restart_own_session(user)
            flash(f"User {user.email} saved.", "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=user)
