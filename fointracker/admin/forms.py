from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..auth.forms import StrongPassword, ValidEmail
from ..forms import Form
from ..models import Role

# Least privileged first, and new users get the first (#19: a new user had defaulted to Admin).
ROLE_CHOICES = [(r.value, r.label) for r in (Role.STAFF, Role.AUTHOR, Role.COORDINATOR, Role.ADMIN)]


class NewUserForm(Form):
    email = EmailField("Email", validators=[DataRequired(), ValidEmail(), Length(max=254)])
    name = StringField("Name", validators=[Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.STAFF.value)
    password = PasswordField(
        "Password",
        validators=[Optional(), StrongPassword()],
        description="Leave blank to generate one; it is shown once.",
    )
    submit = SubmitField("Create user")


class EditUserForm(Form):
    name = StringField("Name", validators=[Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Can log in")
    new_password = PasswordField(
        "New password",
        validators=[Optional(), StrongPassword()],
        description="Leave blank to keep the current password.",
    )
    submit = SubmitField("Save user")
