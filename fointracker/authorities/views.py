from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from ..auth.permissions import requires
from ..extensions import db
from ..models import Authority
from ..services.authorities import update_authority
from . import bp
from .forms import AuthorityFilterForm, AuthorityForm


def _distinct(column, blank):
    return [("", blank)] + [(v, v) for v in db.session.scalars(select(column).distinct().order_by(column))]


@bp.route("/")
def index():
    form = AuthorityFilterForm(request.args)
    form.nation.choices = _distinct(Authority.nation, "Any nation")
    form.region.choices = _distinct(Authority.region, "Any region")
    form.type_code.choices = [("", "Any type")] + [
        (code, f"{name} ({code})")
        for code, name in db.session.execute(
            select(Authority.type_code, Authority.type_name).distinct().order_by(Authority.type_code)
        )
    ]
    form.validate()
    stmt = select(Authority).order_by(Authority.short_name)
    status = form.status.data or "current"
    if status == "current":
        stmt = stmt.where(Authority.end_date.is_(None))
    elif status == "abolished":
        stmt = stmt.where(Authority.end_date.is_not(None))
    for field, column in (
        (form.nation, Authority.nation),
        (form.region, Authority.region),
        (form.type_code, Authority.type_code),
    ):
        if field.data and not field.errors:
            stmt = stmt.where(column == field.data)
    if form.social_care.data in ("yes", "no"):
        stmt = stmt.where(Authority.social_care.is_(form.social_care.data == "yes"))
    if form.q.data:
        q = form.q.data.strip()  # matched literally: % and _ are escaped
        stmt = stmt.where(
            or_(
                *(
                    column.icontains(q, autoescape=True)
                    for column in (
                        Authority.official_name,
                        Authority.short_name,
                        Authority.code,
                        Authority.gss_code,
                        Authority.alt_names,
                    )
                )
            )
        )
    pagination = db.paginate(stmt, page=request.args.get("page", 1, type=int), per_page=50, count=True)
    return render_template("authorities/index.html", form=form, pagination=pagination)


@bp.route("/<code>")
def show(code: str):
    authority = db.first_or_404(select(Authority).where(Authority.code == code.upper()))
    successors = db.session.scalars(select(Authority).where(Authority.code.in_(authority.successor_codes))).all()
    return render_template("authorities/show.html", authority=authority, successors=successors)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@requires("admin")
def edit(code: str):
    authority = db.first_or_404(select(Authority).where(Authority.code == code.upper()))
    form = AuthorityForm(obj=authority)
    if form.validate_on_submit():
        update_authority(db.session, authority, form.data, current_user.id)
        db.session.commit()
        flash(f"{authority.short_name} saved.", "success")
        return redirect(url_for(".show", code=authority.code))
    return render_template("authorities/form.html", form=form, authority=authority)
