"""fointracker.forms: the one-pass widgets for long lists write what WTForms' own widgets write."""

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget, Select

from fointracker.forms import CheckboxList, LongSelect

labels = st.text(alphabet=st.sampled_from("ab <&>\"'é£"), max_size=8)
choices = st.lists(st.tuples(st.integers(1, 500), labels), max_size=12, unique_by=lambda c: c[0])


class WTFormsCheckboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _pair(ours, theirs, options, submitted, validators=(), **kwargs):
    class Pair(Form):
        a = ours("A", choices=options, coerce=int, validators=list(validators), **kwargs)
        b = theirs("A", choices=options, coerce=int, validators=list(validators), **kwargs)

    return Pair(MultiDict([(name, str(v)) for v in submitted for name in ("a", "b")]))


@settings(max_examples=150, deadline=None)
@given(choices, st.data(), st.sampled_from([(), (Optional(),), (InputRequired(),)]))
def test_a_checkbox_list_is_what_wtforms_writes(options, data, validators):
    submitted = data.draw(st.lists(st.sampled_from([v for v, _ in options]), max_size=3)) if options else []
    form = _pair(CheckboxList, WTFormsCheckboxes, options, submitted, validators)
    assert str(form.a()).replace('id="a', 'id="b').replace('for="a', 'for="b').replace('name="a"', 'name="b"') == str(
        form.b()
    )


@settings(max_examples=150, deadline=None)
@given(choices, st.data(), st.sampled_from([(), (DataRequired(),)]))
def test_a_long_select_is_what_wtforms_writes(options, data, validators):
    submitted = data.draw(st.lists(st.sampled_from([v for v, _ in options]), max_size=1)) if options else []
    form = _pair(SelectField, SelectField, options, submitted, validators)
    form.a.widget, form.b.widget = LongSelect(), Select()
    ours = str(form.a(**{"aria-describedby": "help"}))
    theirs = str(form.b(**{"aria-describedby": "help"}))
    assert ours.replace('id="a"', 'id="b"').replace('name="a"', 'name="b"') == theirs


def test_a_choice_with_attributes_of_its_own_is_written_as_wtforms_does():
    class One(Form):
        a = SelectField("A", choices=[("1", "One", {"disabled": True}), ("2", "Two")], widget=LongSelect())
        b = SelectField("A", choices=[("1", "One", {"disabled": True}), ("2", "Two")])

    form = One()
    assert str(form.a()).replace('"a"', '"b"') == str(form.b())
