from flask_wtf.file import MultipleFileField
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..domain.event_details import (
    APPEAL_RESULTS,
    APPELLANTS,
    CHASE_METHODS,
    DECISION_OUTCOMES,
    DETAIL_FIELDS,
    EXEMPTIONS,
    EXTENSION_REASONS,
    REGULATORS,
)
from ..domain.lifecycle import DISCLOSURE_AFTER_LABELS, OUTCOME_LABELS, TRIBUNALS, EventKind, Outcome
from ..forms import CheckboxList, Form, LongSelect

# A detail whose form field has another name: a decision notice's outcome (upheld or not) is
# not a request's outcome, so it has its own select.
FORM_NAMES = {(EventKind.DECISION_NOTICE, "outcome"): "decision"}


def form_name(kind: EventKind, key: str) -> str:
    return FORM_NAMES.get((kind, key), key)


def form_fields(kind: EventKind) -> tuple[str, ...]:
    """The form fields that carry `kind`'s details."""
    return tuple(form_name(kind, key) for key in DETAIL_FIELDS.get(kind, ()))


def field_kinds() -> dict[str, list[EventKind]]:
    """Each detail field and the kinds of event it belongs to (the page shows it for those)."""
    kinds: dict[str, list[EventKind]] = {}
    for kind in DETAIL_FIELDS:
        for name in form_fields(kind):
            kinds.setdefault(name, []).append(kind)
    return kinds


def _optional_int(value):
    return int(value) if value not in (None, "") else None


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
    regulator = SelectField("Regulator", validators=[Optional()], choices=[("", "—")] + list(REGULATORS.items()))
    decision = SelectField(
        "The regulator's decision", validators=[Optional()], choices=[("", "—")] + list(DECISION_OUTCOMES.items())
    )
    after = SelectField(
        "Disclosed", validators=[Optional()], choices=[("", "—")] + list(DISCLOSURE_AFTER_LABELS.items())
    )
    by = SelectField("Who appealed", validators=[Optional()], choices=[("", "—")] + list(APPELLANTS.items()))
    tribunal = SelectField("Appealed to", validators=[Optional()], choices=[("", "—")] + list(TRIBUNALS.items()))
    result = SelectField("Result", validators=[Optional()], choices=[("", "—")] + list(APPEAL_RESULTS.items()))
    method = SelectField("How we chased", validators=[Optional()], choices=[("", "—")] + list(CHASE_METHODS.items()))
    authority_id = SelectField(
        "Council it should go to",
        widget=LongSelect(),
        validators=[Optional()],
        coerce=_optional_int,
        choices=[("", "—")],
        description="A draft request to that council is created in this campaign, linked to this one.",
        validate_choice=False,  # the service checks the council against the register
    )
    note = TextAreaField("Note", validators=[Length(max=10000)])
    files = MultipleFileField("Documents", description="PDF, spreadsheets, CSV, Word/ODF, email, images or ZIP.")

    def details(self, kind: EventKind) -> dict:
        """The details `kind` carries, as JSON-ready values."""
        values = {}
        for key in DETAIL_FIELDS.get(kind, ()):
            value = getattr(self, form_name(kind, key)).data
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            values[key] = value
        return values

    @staticmethod
    def data_from(kind: EventKind, details: dict) -> dict:
        """Form data for an event's stored details (the inverse of `details`)."""
        return {form_name(kind, key): value for key, value in details.items()}


class AddEventForm(EventDetailsForm):
    kind = SelectField("What happened", validators=[InputRequired()])
    also_answers = CheckboxList(
        "This reply also answers",
        coerce=int,
        choices=[],
        validators=[Optional()],
        description="A shared FOI service's one reply to several councils: each request gets this response, "
        "linked to the one copy of the documents attached here.",
    )
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
