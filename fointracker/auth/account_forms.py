from wtforms import RadioField, SelectField, SubmitField

from ..domain.reminders import ReminderKind
from ..forms import CheckboxList, Form

HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(24)]


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
    kinds = CheckboxList(
        "Send me these",
        choices=[(kind.value, kind.label) for kind in ReminderKind],
        description="Untick a kind to stop getting it (by email and in the digest).",
    )
    submit = SubmitField("Save preferences")


class CalendarLinkForm(Form):
    """Create or replace the secret calendar link (the button's text says which)."""

    submit = SubmitField("Create my calendar link")
