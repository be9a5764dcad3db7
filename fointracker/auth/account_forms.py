from wtforms import RadioField, SelectField, SelectMultipleField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget

from ..domain.reminders import ReminderKind
from ..forms import Form

HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(24)]


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes, one per choice, each with its own label."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReminderPreferencesForm(Form):
    mode = RadioField(
        "How reminders reach me",
        choices=[
            ("immediate", "Immediately: one email per reminder, from 07:00 on the day it falls due"),
            ("digest", "A daily digest: one email a day listing everything due"),
        ],
    )
    digest_hour = SelectField(
        "Digest time (Europe/London)",
        choices=HOUR_CHOICES,
        coerce=int,
        default=8,
        description="The digest goes out at this hour, UK time (GMT or BST).",
    )
    kinds = CheckboxesField(
        "Send me these",
        choices=[(kind.value, kind.label) for kind in ReminderKind],
        description="Untick a kind to stop getting it (by email and in the digest).",
    )
    submit = SubmitField("Save preferences")


class CalendarLinkForm(Form):
    """Create or replace the secret calendar link (the button's text says which)."""

    submit = SubmitField("Create my calendar link")
