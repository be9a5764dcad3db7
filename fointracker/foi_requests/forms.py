from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..domain.regimes import REGIME_CHOICES
from ..forms import FilterForm, Form, LongSelect, OptionalIntSelect


class RequestForm(Form):
    campaign_id = OptionalIntSelect("Campaign", validators=[DataRequired("Choose a campaign.")])
    authority_id = OptionalIntSelect("Council", validators=[DataRequired("Choose a council.")], widget=LongSelect())
    regime = SelectField(
        "Regime",
        choices=[("", "Campaign default")] + REGIME_CHOICES,
        validators=[Optional()],
        description="Left on the default, Scottish councils get FOISA/EISR.",
    )
    subject = StringField("Subject", validators=[DataRequired(), Length(max=300)])
    body = TextAreaField("Request text", validators=[Length(max=50000)])
    sent_on = DateField(
        "Date sent", validators=[Optional()], description="Leave blank for a draft that has not been sent."
    )
    received_on = DateField(
        "Date the council received it",
        validators=[Optional()],
        description="For email, usually the day it was sent; blank means the same day.",
    )
    council_reference = StringField("Council's reference", validators=[Length(max=100)])
    owner_id = OptionalIntSelect("Owner")
    submit = SubmitField("Save request")


class EditRequestForm(Form):
    regime = SelectField("Regime", choices=REGIME_CHOICES)
    subject = StringField("Subject", validators=[DataRequired(), Length(max=300)])
    body = TextAreaField("Request text", validators=[Length(max=50000)])
    council_reference = StringField("Council's reference", validators=[Length(max=100)])
    owner_id = OptionalIntSelect("Owner")
    submit = SubmitField("Save changes")


class RequestFilterForm(FilterForm):
    q = StringField("Search", validators=[Optional(), Length(max=200)], description="Council, reference or text")
    campaign = OptionalIntSelect("Campaign", validators=[Optional()])
    status = SelectField("Status", validators=[Optional()])
    outcome = SelectField("Outcome", validators=[Optional()])
    region = SelectField("Region", validators=[Optional()])
    owner = OptionalIntSelect("Owner", validators=[Optional()])
    deadline = SelectField("Deadline", validators=[Optional()])
    sort = SelectField(
        "Sort",
        choices=[("due", "Due date, soonest first"), ("newest", "Newest first"), ("council", "Council A–Z")],
        validators=[Optional()],
    )
