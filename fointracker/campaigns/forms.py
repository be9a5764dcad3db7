from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..domain.letters import FOLLOW_UP_PLACEHOLDERS, PLACEHOLDERS, FollowUp
from ..domain.regimes import REGIME_CHOICES
from ..forms import Form


class CampaignForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=20000)])
    default_regime = SelectField(
        "Default regime",
        choices=REGIME_CHOICES,
        description="Scottish councils get FOISA (or EISR) automatically when this is FOIA (or EIR).",
    )
    letter_template = TextAreaField(
        "Request letter",
        validators=[Length(max=50000)],
        description="Placeholders: " + ", ".join("{" + name + "}" for name in PLACEHOLDERS),
    )
    aggregation_group = StringField(
        "Aggregation group",
        validators=[Length(max=80)],
        description="Optional. Campaigns with the same group name count together when a batch checks whether a "
        "council may add our requests together for the cost limit (Fees Regulations 2004 reg 5: requests made "
        "in pursuance of a campaign within 60 working days). Give related campaigns, e.g. “Social care 2026”, "
        "the same group; leave blank for a campaign that stands alone.",
    )
    # The follow-up letters' wording (services.campaigns: checked on save; blank = built-in).
    follow_up_chaser = TextAreaField(FollowUp.CHASER.title, validators=[Length(max=50000)])
    follow_up_review = TextAreaField(FollowUp.REVIEW.title, validators=[Length(max=50000)])
    follow_up_complaint = TextAreaField(FollowUp.COMPLAINT.title, validators=[Length(max=50000)])
    coordinators = SelectMultipleField(
        "Coordinators", coerce=int, description="They receive the campaign's reminders, with each request's owner."
    )
    members = SelectMultipleField(
        "Members",
        coerce=int,
        description="Who may see and work on this campaign (admins see every campaign). "
        "Coordinators are always members.",
    )
    webhook_url = StringField(
        "Webhook for reminders",
        validators=[Length(max=500)],
        description="Optional: a Slack, Teams or Mattermost incoming-webhook address.",
    )
    mail_from = StringField(
        "Send letters from",
        validators=[Length(max=254)],
        description="Optional: the address the campaign's letters come from when sent by email "
        "(blank: the install's sender). The mail server must accept it as a sender.",
    )
    auto_confirm_acknowledgements = BooleanField(
        "Record acknowledgements without asking",
        description="When a council's reply is recognised as an acknowledgement, put it on the timeline at once "
        "instead of waiting for someone to confirm it. Every other step always waits for a person.",
    )
    double_entry = BooleanField(
        "Double entry",
        description="A second person enters each council's figures again without seeing the first entry; "
        "where the two differ, a third person settles the figure. The report says how many were entered twice.",
    )
    submit = SubmitField("Save campaign")


FOLLOW_UP_HELP = "Placeholders: " + ", ".join("{" + name + "}" for name in FOLLOW_UP_PLACEHOLDERS)
