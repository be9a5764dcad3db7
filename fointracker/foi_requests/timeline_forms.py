from flask_wtf.file import MultipleFileField
from wtforms import DateField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField, widgets
from wtforms.validators import InputRequired, Length, Optional

from ..domain.lifecycle import EXEMPTIONS, EXTENSION_REASONS, OUTCOME_LABELS, REGULATORS, Outcome
from ..forms import Form


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EventDetailsForm(Form):
    occurred_on = DateField("Date", validators=[InputRequired("Give the date it happened.")])
    received_on = DateField(
        "Date the council received it", validators=[Optional()], description="Blank: the same day (email)."
    )
    outcome = SelectField(
        "Outcome",
        validators=[Optional()],
        choices=[("", "—")] + [(o.value, label) for o, label in OUTCOME_LABELS.items() if o is not Outcome.WITHDRAWN],
    )
    exemptions = CheckboxList("Exemptions cited", choices=list(EXEMPTIONS.items()), validators=[Optional()])
    reason = SelectField(
        "Why the council extended", validators=[Optional()], choices=[("", "—")] + list(EXTENSION_REASONS.items())
    )
    new_date = DateField("New date promised", validators=[Optional()])
    regulator = SelectField("Complaint to", validators=[Optional()], choices=[("", "—")] + list(REGULATORS.items()))
    note = TextAreaField("Note", validators=[Length(max=10000)])
    files = MultipleFileField("Documents", description="PDF, spreadsheets, CSV, Word/ODF, email, images or ZIP.")

    def details(self, fields: tuple[str, ...]) -> dict:
        """The details the event's kind carries, as JSON-ready values."""
        values = {}
        for name in fields:
            value = getattr(self, name).data
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            values[name] = value
        return values


class AddEventForm(EventDetailsForm):
    kind = SelectField("What happened", validators=[InputRequired()])
    submit = SubmitField("Add to timeline")


class EditEventForm(EventDetailsForm):
    change_reason = StringField("Why are you changing it?", validators=[InputRequired(), Length(max=300)])
    submit = SubmitField("Save changes")


class RemoveEventForm(Form):
    # Shown on the same page as EditEventForm: its own id, so each <label for> names its own field.
    change_reason = StringField("Why remove it?", validators=[InputRequired(), Length(max=300)], id="remove_reason")
    submit = SubmitField("Remove event")


class AttachForm(Form):
    files = MultipleFileField("Add documents", validators=[InputRequired("Choose at least one file.")])
    submit = SubmitField("Upload")
