from wtforms import EmailField, SelectField, StringField, SubmitField, URLField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp

from ..forms import FilterForm, Form


class AuthorityForm(Form):
    official_name = StringField("Official name", validators=[DataRequired(), Length(max=200)])
    short_name = StringField("Short name", validators=[DataRequired(), Length(max=120)])
    foi_email = EmailField("FOI email address", validators=[Optional(), Email(), Length(max=254)])
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
