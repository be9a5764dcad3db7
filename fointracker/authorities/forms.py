from wtforms import DateField, SelectField, StringField, SubmitField, URLField
from wtforms.validators import URL, DataRequired, Length, Optional, Regexp, ValidationError

from ..domain.email_addresses import address_problem
from ..forms import FilterForm, Form


def one_address(_form, field) -> None:
    """One bare email address (domain.email_addresses), or blank."""
    text = (field.data or "").strip()
    problem = address_problem(text) if text else None
    if problem:
        raise ValidationError(f"The address {problem}.")


class AuthorityForm(Form):
    official_name = StringField("Official name", validators=[DataRequired(), Length(max=200)])
    short_name = StringField("Short name", validators=[DataRequired(), Length(max=120)])
    foi_email = StringField(
        "FOI email address",
        validators=[one_address],
        description="One address, e.g. foi@council.gov.uk. Leave blank if not known.",
    )
    foi_email_source = StringField(
        "Where the address came from",
        validators=[Optional(), Length(max=200)],
        description="e.g. council website, a reply from the council, or the list it was imported from",
    )
    foi_email_checked_on = DateField("Address last checked on", validators=[Optional()])
    website = URLField(
        "Website",
        validators=[
            Optional(),
            URL(require_tld=False),
            Length(max=300),
            Regexp(r"(?i)https?://", message="The address must start with https://"),
        ],
    )
    submit = SubmitField("Save council")


class CampaignAddressForm(Form):
    foi_email = StringField(
        "This campaign's FOI address",
        validators=[one_address],
        description="Blank: the council register's address is used.",
    )
    submit = SubmitField("Save address")


class AuthorityFilterForm(FilterForm):
    q = StringField("Search", validators=[Optional(), Length(max=200)], description="Name, code or GSS code")
    nation = SelectField("Nation", validators=[Optional()])
    region = SelectField("Region", validators=[Optional()])
    type_code = SelectField("Type", validators=[Optional()])
    social_care = SelectField(
        "Adult social care", choices=[("", "Any"), ("yes", "Yes"), ("no", "No")], validators=[Optional()]
    )
    status = SelectField(
        "Status", choices=[("current", "Current"), ("abolished", "Abolished"), ("all", "All")], validators=[Optional()]
    )
