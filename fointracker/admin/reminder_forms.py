from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from ..domain.reminders import ReminderKind
from ..forms import FilterForm
from ..services.reminder_admin import CHANNELS, STATUSES


class ReminderFilterForm(FilterForm):
    status = SelectField(
        "Status", choices=[("", "Any status")] + [(s, s.capitalize()) for s in STATUSES], validators=[Optional()]
    )
    kind = SelectField(
        "Kind", choices=[("", "Any kind")] + [(k.value, k.label) for k in ReminderKind], validators=[Optional()]
    )
    channel = SelectField(
        "Channel", choices=[("", "Any channel")] + [(c, c.capitalize()) for c in CHANNELS], validators=[Optional()]
    )
    q = StringField("Recipient or council", validators=[Optional(), Length(max=200)])
