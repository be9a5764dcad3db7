"""Form pieces shared by the blueprints."""
from flask_wtf import FlaskForm
from wtforms import SelectField


def optional_int(value):
    """'' means no choice (None); anything else must be an id."""
    if value in ("", None, "None"):
        return None
    return int(value)


class OptionalIntSelect(SelectField):
    """A select of ids whose empty choice means None."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", optional_int)
        super().__init__(*args, **kwargs)


class FilterForm(FlaskForm):
    """List filters travel in the query string and change nothing, so they carry no CSRF token."""

    class Meta:
        csrf = False
