from wtforms import BooleanField, EmailField, HiddenField, IntegerField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, NumberRange, ValidationError
from wtforms.widgets import HiddenInput

from ..domain.accounts import email_problem, password_problem
from ..domain.text import MAX_ID
from ..forms import Form


class ValidEmail:
    """The one email check, shared with `fointracker users create` (domain.accounts.email_problem)."""

    def __call__(self, form, field):
        if field.data and email_problem(field.data):
            raise ValidationError("Invalid email address.")


class StrongPassword:
    """At least 10 characters and none of the 10,000 most common passwords (domain.accounts);
    empty passes (with Optional(): keep the current one, or generate one)."""

    def __call__(self, form, field):
        problem = field.data and password_problem(field.data)
        if problem:
            raise ValidationError(problem[0].upper() + problem[1:] + ".")


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired(), ValidEmail()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in")
    next = HiddenField()
    submit = SubmitField("Log in")


class ChangePasswordForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), StrongPassword()])
    confirm = PasswordField("Repeat new password", validators=[EqualTo("new_password", "The passwords differ.")])
    submit = SubmitField("Change password")


class EndSessionForm(Form):
    session_id = IntegerField(widget=HiddenInput(), validators=[DataRequired(), NumberRange(min=1, max=MAX_ID)])
    submit = SubmitField("End")
