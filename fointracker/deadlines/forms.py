from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..domain.deadlines import CALCULABLE_YEARS
from ..domain.regimes import REGIME_CHOICES
from ..forms import FilterForm, Form
from ..services.calendar import CALENDAR_CHOICES


class CalculatorForm(FilterForm):
    """A GET form: it changes nothing, so it needs no CSRF token."""

    regime = SelectField("Regime", choices=REGIME_CHOICES, validators=[DataRequired()])
    received = DateField("Received by the council", validators=[InputRequired("Give the date of receipt.")])
    clarified = DateField(
        "Clarification received", validators=[Optional()], description="The clock restarts from this day."
    )
    fee_notice = DateField("Fees notice given", validators=[Optional()])
    fee_paid = DateField("Fee received", validators=[Optional()])
    extension = IntegerField(
        "Extension (working days)",
        default=0,
        validators=[Optional(), NumberRange(min=0, max=200)],
        description="Working days added after the statutory due date.",
    )
    extension_claimed = DateField(
        "Extension claimed on",
        validators=[Optional()],
        description="A claim after the statutory due date does not move it (FOIA s.17(1)–(2), EIR reg 7(3)).",
    )

    def validate_clarified(self, field):
        if field.data and self.received.data and field.data < self.received.data:
            raise ValidationError("is before the date of receipt")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # Optional() stops a blank field's own validators, so the pair is checked here.
        notice, paid = self.fee_notice.data, self.fee_paid.data
        if not self.fee_notice.errors and not self.fee_paid.errors:
            if bool(notice) != bool(paid):
                self.fee_paid.errors.append("give both the notice date and the payment date, or neither")
                valid = False
            elif paid and paid < notice:
                self.fee_paid.errors.append("is before the fees notice")
                valid = False
        for field in (self.received, self.clarified, self.fee_notice, self.fee_paid, self.extension_claimed):
            if field.data and field.data.year not in CALCULABLE_YEARS:
                field.errors.append(f"give a date between {CALCULABLE_YEARS[0]} and {CALCULABLE_YEARS[-1]}")
                valid = False
        return valid


class ClosureForm(Form):
    day = DateField("Date", validators=[DataRequired()])
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=120)],
        description="e.g. “Council offices closed: system migration”",
    )
    calendar = SelectField("Calendar", choices=list(CALENDAR_CHOICES.items()))
    remove = BooleanField(
        "This day is a working day after all (remove a holiday)",
        description="A bank holiday moved by proclamation. Weekends, Christmas Day and Good Friday cannot be removed.",
    )
    submit = SubmitField("Add")
