"""Form pieces shared by the blueprints."""

from flask import request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import FileField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import Choice
from wtforms.widgets import CheckboxInput, ListWidget, Select, html_params

from .domain.text import CONTROL_CHARACTER_MESSAGE, CONTROL_CHARACTERS, typed_id


class Form(FlaskForm):
    """The base of every form: FlaskForm, hardened against bad input.

    - An uploaded file reaches only a file field (FlaskForm would hand a file posted under
      a text field's name to that field, whose validators then fail on it).
    - A JSON body is not a form (FlaskForm reads a JSON object as one and fails on other JSON).
    - Text typed with control characters is refused with an error on its field (PostgreSQL
      cannot store NUL bytes, XLSX exports cannot hold the others; see domain.text).
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata  # given by the view: a query string, the batch JSON's fields
            if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
                return None
            file_fields = {field.name for field in form if isinstance(field, FileField)}
            files = MultiDict(
                [(name, upload) for name, uploads in request.files.lists() if name in file_fields for upload in uploads]
            )
            if files:
                return CombinedMultiDict((files, request.form))
            return request.form or None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field, HiddenField):
                continue  # not typed by anyone: the views check what they use (e.g. a login's `next`)
            if any(isinstance(value, str) and CONTROL_CHARACTERS.search(value) for value in field.raw_data or ()):
                field.errors.append(CONTROL_CHARACTER_MESSAGE)
                valid = False
            elif (
                isinstance(field, StringField)
                and not isinstance(field, TextAreaField)
                and any(isinstance(value, str) and ("\n" in value or "\r" in value) for value in field.raw_data or ())
            ):
                # A one-line box cannot send a line break; a crafted one would, e.g., break every
                # reminder email whose subject carries it.
                field.errors.append("must be on one line")
                valid = False
        return valid


def coerce_id(value) -> int:
    """A row's id from a form (1 to 2³¹−1, see domain.text.typed_id): anything else is refused
    as the field's error, before it can reach the database (PostgreSQL fails on a larger one)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    number = typed_id(value) if isinstance(value, str) else None
    if number is None:
        raise ValueError("not a valid id")
    return number


def optional_int(value):
    """'' means no choice (None); anything else must be an id."""
    if value in ("", None, "None"):
        return None
    return coerce_id(value)


class OptionalIntSelect(SelectField):
    """A select of ids whose empty choice means None."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", optional_int)
        super().__init__(*args, **kwargs)


# ---------------------------------------------------------------- long lists of choices
# A request page offers the campaign's other requests (a joint reply) and every council (a
# transfer): 400 and 390 choices. WTForms makes a Field object per checkbox and formats every
# option's attributes one by one; that was most of the page's time, and the request page most
# of the server's (benchmarks/load.py). These widgets write the same HTML in one pass
# (tests/test_forms.py compares them with WTForms' own).


def _plain(field) -> bool:
    """Nothing that CheckboxListWidget leaves out of each checkbox: the field's render_kw, or a
    flag that becomes an attribute (e.g. `required`)."""
    return not field.render_kw and not any(getattr(field.flags, name, False) for name in CheckboxInput.validation_attrs)


class CheckboxListWidget:
    """WTForms' ListWidget(prefix_label=False) of CheckboxInputs: <ul> of checkbox, label."""

    def __call__(self, field, **kwargs):
        if not _plain(field):
            return ListWidget(prefix_label=False)(field, **kwargs)
        kwargs.setdefault("id", field.id)
        name = escape(field.name)
        html = [f"<ul {html_params(**kwargs)}>"]
        for index, (value, label, checked, _render_kw) in enumerate(field.iter_choices()):
            option_id = escape(f"{field.id}-{index}")
            html.append(
                f'<li><input{" checked" if checked else ""} id="{option_id}" name="{name}" type="checkbox" '
                f'value="{escape(value)}"> <label for="{option_id}">{escape(label or value)}</label></li>'
            )
        html.append("</ul>")
        return Markup("".join(html))


class CheckboxList(SelectMultipleField):
    """A list of checkboxes, one per choice, each with its own label."""

    widget = CheckboxListWidget()
    option_widget = CheckboxInput()


class LongSelect(Select):
    """WTForms' Select, its options written in one pass."""

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        for name in self.validation_attrs:  # e.g. `required`, as Select sets them
            if name not in kwargs and getattr(field.flags, name, False):
                kwargs[name] = getattr(field.flags, name)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for value, label, selected, render_kw in field.iter_choices():
            if render_kw:
                html.append(self.render_option(Choice(value, label, selected, render_kw)))
                continue
            html.append(
                f'<option{" selected" if selected else ""} value="{escape(value)}">{escape(label or value)}</option>'
            )
        html.append("</select>")
        return Markup("".join(html))


class FilterForm(FlaskForm):
    """List filters travel in the query string and change nothing, so they carry no CSRF token
    (and, storing nothing, need none of Form's checks: the view passes the query string in)."""

    class Meta:
        csrf = False
