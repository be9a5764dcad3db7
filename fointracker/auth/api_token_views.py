"""The user's own API tokens (/account/api-tokens): make one (shown once), list them, revoke one."""

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from ..domain.text import MAX_ID
from ..extensions import db
from ..forms import Form
from ..services.api_tokens import MAX_NAME, ApiTokenError, active_tokens, create_token, revoke_token
from . import bp

# A new token waits here (in the signed, HttpOnly session cookie) between the POST that makes it
# and the page that shows it, once: the database keeps only its digest.
NEW_API_TOKEN = "new_api_token"


class ApiTokenForm(Form):
    name = StringField(
        "Name",
        validators=[DataRequired("Give the token a name."), Length(max=MAX_NAME)],
        description="What uses it, e.g. “Budget notebook”: to tell your tokens apart.",
    )
    submit = SubmitField("Create token")


class RevokeApiTokenForm(Form):
    token_id = IntegerField(widget=HiddenInput(), validators=[DataRequired(), NumberRange(min=1, max=MAX_ID)])
    submit = SubmitField("Revoke")


def _page(form: ApiTokenForm, status: int = 200):
    new_token = session.pop(NEW_API_TOKEN, None)
    return render_template(
        "auth/api_tokens.html",
        form=form,
        revoke_form=RevokeApiTokenForm(),
        tokens=active_tokens(db.session, current_user.id),
        new_token=new_token,
    ), status


@bp.route("/account/api-tokens", methods=["GET", "POST"])
def api_tokens():
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _page(form, 400 if form.is_submitted() else 200)
    try:
        row, token = create_token(db.session, current_user._get_current_object(), form.name.data)
        db.session.commit()
    except ApiTokenError as exc:
        db.session.rollback()
        form.name.errors.append(exc.message)
        return _page(form, 400)
    session[NEW_API_TOKEN] = token
    flash(f"API token “{row.name}” created.", "success")
    return redirect(url_for(".api_tokens"))


@bp.route("/account/api-tokens/revoke", methods=["POST"])
def revoke_api_token():
    form = RevokeApiTokenForm()
    if not form.validate_on_submit():
        flash("That token could not be revoked: reload the page and try again.", "error")
        return redirect(url_for(".api_tokens"))
    row = revoke_token(db.session, current_user.id, form.token_id.data)
    if row is None:
        flash("That token has already been revoked.", "info")
    else:
        db.session.commit()
        flash(f"API token “{row.name}” revoked: it no longer works.", "success")
    return redirect(url_for(".api_tokens"))
