"""Camunda Forms: parsing (engine.forms.schema) and server-side validation (engine.forms.validate)."""
from __future__ import annotations

import copy
import json
import math
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.forms import Component, Field, Form, FormError, ValidationResult, parse_form, validate

FIXTURE = Path(__file__).parent / "fixtures" / "forms" / "step_down_decision.form"
SCHEMA = json.loads(FIXTURE.read_text(encoding="utf-8"))
FORM = parse_form(FIXTURE.read_bytes(), FIXTURE.name)

# the first st.text draw builds Hypothesis's character tables: slow on a fresh checkout
relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


def valid_submission(**changes) -> dict:
    data = {
        "decision": "step_down",
        "rationale": "Needs met by early help.",
        "consent": "given",
        "consent_given_by": "Mother",
        "meeting_date": "2026-11-23",
        "attendees": ["social_worker", "parent"],
        "score": "4",
        "actions": [{"action": "Refer to family hub", "owner": "Sam Lee", "due": "2026-12-04"}],
        "contingency": {"plan": "Re-refer if school raises concerns"},
        "safeguarding_concern": "on",
    }
    data.update(changes)
    return data


def form_with(*components, form_id="Form_test") -> Form:
    return parse_form({"type": "default", "id": form_id, "components": list(components)})


def one(component: dict, value, **kwargs) -> ValidationResult:
    """Validate one field (key "f" unless given) holding ``value``."""
    return validate(form_with(component), {component.get("key", "f"): value}, **kwargs)


# --- parsing the fixture -------------------------------------------------------------------

def test_fixture_parses_as_camunda_modeler_writes_it():
    assert FORM.id == "Form_step_down"
    assert FORM.filename == "step_down_decision.form"
    assert FORM.schema == SCHEMA
    assert [(f.key, f.type, f.required) for f in FORM.fields()] == [
        ("decision", "radio", True),
        ("rationale", "textarea", True),
        ("consent", "select", False),
        ("consent_given_by", "textfield", False),
        ("meeting_date", "datetime", True),
        ("attendees", "checklist", False),
        ("score", "number", False),
        ("actions", "dynamiclist", False),
        ("actions[].action", "textfield", True),
        ("actions[].owner", "textfield", True),
        ("actions[].due", "datetime", True),
        ("contingency.plan", "textarea", False),
        ("safeguarding_concern", "checkbox", False),
    ]
    assert FORM.field_keys() == {
        "decision", "rationale", "consent", "consent_given_by", "meeting_date", "attendees",
        "score", "actions", "contingency", "safeguarding_concern",
    }


def test_fields_carry_labels_options_and_raw_component():
    fields = {f.key: f for f in FORM.fields()}
    assert fields["decision"].options == (
        ("step_down", "Step down to early help"), ("stay_open", "Keep the case open"), ("close", "Close the case"),
    )
    assert fields["consent"].options[2] == ("not_sought_risk", "Not sought (risk of harm)")
    assert fields["meeting_date"].label == "Date of meeting"  # datetime labels come from dateLabel
    assert fields["actions[].due"].label == "Due by"
    assert fields["rationale"].component["id"] == "Field_0cdn6zu"
    assert isinstance(fields["score"], Field)


def test_component_tree_for_the_renderer():
    kinds = [(node.kind, node.type, node.key) for node in FORM.components]
    assert kinds == [
        ("text", "text", None),
        ("field", "radio", "decision"),
        ("field", "textarea", "rationale"),
        ("field", "select", "consent"),
        ("field", "textfield", "consent_given_by"),
        ("layout", "separator", None),
        ("field", "datetime", "meeting_date"),
        ("field", "checklist", "attendees"),
        ("field", "number", "score"),
        ("list", "dynamiclist", "actions"),
        ("group", "group", "contingency"),
        ("field", "checkbox", "safeguarding_concern"),
    ]
    text = FORM.components[0]
    assert text.text.startswith("# Step down decision")
    actions = FORM.component("actions")
    assert isinstance(actions, Component)
    assert [c.path for c in actions.children] == ["actions[].action", "actions[].owner", "actions[].due"]
    assert [c.key for c in actions.children] == ["action", "owner", "due"]
    assert FORM.component("contingency.plan").label == "Contingency plan"
    assert FORM.component("meeting_date").subtype == "date"
    assert FORM.component("rationale").description == "Explain why, with reference to the assessment"
    hidden = FORM.component("consent_given_by")
    assert hidden.hide.source == '=consent != "given"'
    assert [(node.key, expr.names) for node, expr in FORM.conditions()] == [("consent_given_by", frozenset({"consent"}))]
    assert len(list(FORM.walk())) == 16


def test_parse_accepts_text_bytes_with_bom_and_dict():
    text = FIXTURE.read_text(encoding="utf-8")
    assert parse_form(text).id == "Form_step_down"
    assert parse_form(b"\xef\xbb\xbf" + text.encode()).id == "Form_step_down"
    assert parse_form(copy.deepcopy(SCHEMA)).fields() == FORM.fields()


def test_group_without_path_flattens_and_dotted_keys_nest():
    form = form_with(
        {"type": "group", "label": "About", "components": [
            {"type": "textfield", "key": "name", "label": "Name"},
            {"type": "group", "path": "address", "components": [
                {"type": "textfield", "key": "town", "label": "Town"},
                {"type": "textfield", "key": "post.code", "label": "Postcode"},
            ]},
        ]},
        {"type": "textfield", "key": "child.first_name", "label": "First name"},
    )
    assert [f.key for f in form.fields()] == ["name", "address.town", "address.post.code", "child.first_name"]
    assert form.field_keys() == {"name", "address", "child"}
    result = validate(form, {"name": "A", "address": {"town": "Bath", "post": {"code": "BA1"}}, "child": {"first_name": "Jo"}})
    assert result.ok
    assert result.cleaned == {"name": "A", "address": {"town": "Bath", "post": {"code": "BA1"}}, "child": {"first_name": "Jo"}}


# --- schema refusals -----------------------------------------------------------------------

def refused(*components, form_id="Form_test") -> str:
    with pytest.raises(FormError) as caught:
        form_with(*components, form_id=form_id)
    message = str(caught.value)
    assert "\n" not in message
    assert caught.value.form_id == form_id
    return message


def test_unknown_component_type_names_form_and_type():
    message = refused({"type": "filepicker", "key": "x", "id": "Field_1"}, form_id="Form_step_down")
    assert message == "form 'Form_step_down' component 'x': unsupported component type 'filepicker'"


def test_unknown_component_type_inside_a_dynamic_list():
    message = refused({"type": "dynamiclist", "path": "rows", "components": [{"type": "table", "id": "Field_t"}]})
    assert message == "form 'Form_test' component 'Field_t': unsupported component type 'table'"


def test_html_is_refused():
    assert "html components are not allowed" in refused({"type": "html", "id": "Field_h", "content": "<b>x</b>"})


@pytest.mark.parametrize("prop", ["valuesExpression", "valuesKey"])
def test_dynamic_options_are_refused(prop):
    message = refused({"type": "select", "key": "team", prop: "=teams" if prop == "valuesExpression" else "teams"})
    assert f"'{prop}'" in message
    assert "only static options" in message
    assert "component 'team'" in message


def test_bad_feel_is_refused_at_parse():
    message = refused({"type": "textfield", "key": "why", "conditional": {"hide": "=count(reasons) > 1"}})
    assert message.startswith("form 'Form_test' component 'why': conditional.hide: unsupported FEEL expression")
    assert "=count(reasons) > 1" in message
    assert "function 'count'" in message
    assert "conditional.hide" in refused({"type": "textfield", "key": "a", "conditional": {"hide": "approved = false"}})
    assert "only 'hide'" in refused({"type": "textfield", "key": "a", "conditional": {"show": "=true"}})


@pytest.mark.parametrize("components,clash", [
    ([{"type": "textfield", "key": "a"}, {"type": "number", "key": "a"}], "duplicate key 'a'"),
    ([{"type": "textfield", "key": "a"},
      {"type": "group", "components": [{"type": "textarea", "key": "a"}]}], "duplicate key 'a'"),
    ([{"type": "textfield", "key": "meeting"},
      {"type": "group", "path": "meeting", "components": [{"type": "textfield", "key": "date"}]}], "duplicate key 'meeting'"),
    ([{"type": "group", "path": "meeting", "components": [{"type": "textfield", "key": "date"}]},
      {"type": "textfield", "key": "meeting.date"}], "duplicate key 'meeting.date'"),
    ([{"type": "textfield", "key": "meeting"}, {"type": "textfield", "key": "meeting.date"}], "sits inside 'meeting'"),
    ([{"type": "textfield", "key": "actions"},
      {"type": "dynamiclist", "path": "actions", "components": []}], "duplicate key 'actions'"),
    ([{"type": "dynamiclist", "path": "rows", "components": [
        {"type": "textfield", "key": "x"}, {"type": "checkbox", "key": "x"}]}], "duplicate key 'x'"),
])
def test_duplicate_keys_are_refused(components, clash):
    assert clash in refused(*components)


def test_same_key_in_different_scopes_is_fine():
    form = form_with(
        {"type": "textfield", "key": "owner"},
        {"type": "dynamiclist", "path": "actions", "components": [{"type": "textfield", "key": "owner"}]},
        {"type": "group", "path": "meeting", "components": [{"type": "textfield", "key": "owner"}]},
        {"type": "group", "path": "meeting", "components": [{"type": "textfield", "key": "room"}]},
    )
    assert [f.key for f in form.fields()] == ["owner", "actions", "actions[].owner", "meeting.owner", "meeting.room"]


def test_invalid_json_is_refused_with_filename():
    with pytest.raises(FormError) as caught:
        parse_form('{"components": [,]}', "broken.form")
    assert str(caught.value).startswith("form file 'broken.form': invalid JSON at line 1 column 17")
    assert caught.value.form_id is None
    with pytest.raises(FormError, match="form file 'bad.form': not UTF-8"):
        parse_form(b"\xff\xfe{}", "bad.form")
    with pytest.raises(FormError, match="holds a JSON object"):
        parse_form("[]", "list.form")


@pytest.mark.parametrize("schema,reason", [
    ({"components": []}, "has no id"),
    ({"id": "", "components": []}, "has no id"),
    ({"id": "F", "components": {}}, "'components' must be a list"),
    ({"id": "F", "type": "wizard", "components": []}, "unsupported form type"),
])
def test_form_level_refusals(schema, reason):
    with pytest.raises(FormError, match=reason):
        parse_form(schema, "x.form")


@pytest.mark.parametrize("component,reason", [
    ({"type": "textfield", "label": "Name"}, "needs a key"),
    ({"type": "textfield", "key": "first name"}, "must be letters, digits"),
    ({"type": "textfield", "key": "1st"}, "must be letters, digits"),
    ({"type": "textfield", "key": "not"}, "FEEL word 'not'"),
    ({"type": "dynamiclist", "components": []}, "needs a path"),
    ({"key": "x"}, "has no type"),
    ({"type": "textfield", "key": "x", "validate": {"min": 1}}, "'min' is not supported on a textfield"),
    ({"type": "number", "key": "x", "validate": {"maxLength": 3}}, "'maxLength' is not supported on a number"),
    ({"type": "number", "key": "x", "validate": {"min": "ten"}}, "validate.min must be a number"),
    ({"type": "number", "key": "x", "validate": {"min": 5, "max": 1}}, "min is greater than"),
    ({"type": "textfield", "key": "x", "validate": {"maxLength": -1}}, "maxLength must be a whole number"),
    ({"type": "textfield", "key": "x", "validate": {"minLength": 5, "maxLength": 1}}, "minLength is greater"),
    ({"type": "textfield", "key": "x", "validate": {"pattern": "(["}}, "not a regular expression"),
    ({"type": "textfield", "key": "x", "validate": {"validationType": "postcode"}}, "unsupported validationType"),
    ({"type": "textfield", "key": "x", "validate": {"required": "yes"}}, "required must be true or false"),
    ({"type": "textfield", "key": "x", "validate": {"custom": 1}}, "'custom' is not supported"),
    ({"type": "number", "key": "x", "decimalDigits": -1}, "decimalDigits"),
    ({"type": "number", "key": "x", "increment": "0"}, "increment must be a number greater than 0"),
    ({"type": "radio", "key": "x"}, "has no options"),
    ({"type": "radio", "key": "x", "values": []}, "has no options"),
    ({"type": "radio", "key": "x", "values": [{"label": "A", "value": "a"}, {"label": "B", "value": "a"}]}, "appears twice"),
    ({"type": "radio", "key": "x", "values": [{"label": "One", "value": 1}]}, "non-empty text"),
    ({"type": "datetime", "key": "x", "subtype": "week"}, "unsupported datetime subtype"),
    ({"type": "textfield", "key": "x", "label": "=upper case(name)"}, "only conditional.hide may use FEEL"),
    ({"type": "textfield", "key": "x", "readonly": "=true"}, "only conditional.hide may use FEEL"),
    ({"type": "text", "text": "Hello {{name}}"}, "templating"),
    ({"type": "textfield", "key": "x", "id": "A"}, None),
])
def test_component_refusals(component, reason):
    if reason is None:  # the control: this one is fine
        form_with(component)
        return
    assert reason in refused(component)


def test_duplicate_component_ids_are_refused():
    assert "duplicate component id 'Field_1'" in refused(
        {"type": "textfield", "key": "a", "id": "Field_1"}, {"type": "textfield", "key": "b", "id": "Field_1"})


# --- validating the fixture ----------------------------------------------------------------

def test_a_complete_submission_is_cleaned_into_types():
    result = validate(FORM, valid_submission())
    assert result.ok, result.errors
    assert result.cleaned == {
        "decision": "step_down",
        "rationale": "Needs met by early help.",
        "consent": "given",
        "consent_given_by": "Mother",
        "meeting_date": "2026-11-23",
        "attendees": ["social_worker", "parent"],
        "score": 4,
        "actions": [{"action": "Refer to family hub", "owner": "Sam Lee", "due": "2026-12-04"}],
        "contingency": {"plan": "Re-refer if school raises concerns"},
        "safeguarding_concern": True,
    }


def test_an_empty_submission_names_every_required_field():
    result = validate(FORM, {})
    assert not result.ok
    assert result.errors == {
        "decision": "Select decision",
        "rationale": "Enter rationale",
        "meeting_date": "Enter date of meeting",
    }
    # optional fields that were not given: absent; checkbox, checklist and list have a value anyway
    assert result.cleaned == {"attendees": [], "actions": [], "contingency": {}, "safeguarding_concern": False}


def test_hidden_field_is_not_validated_and_is_dropped():
    result = validate(FORM, valid_submission(consent="refused", consent_given_by=["not", "text"]))
    assert result.ok, result.errors
    assert "consent_given_by" not in result.cleaned
    # missing consent: null != "given" is true, so still hidden
    result = validate(FORM, valid_submission(consent="", consent_given_by="Mother"))
    assert result.ok and "consent_given_by" not in result.cleaned and "consent" not in result.cleaned
    # shown when consent is given: then validated
    result = validate(FORM, valid_submission(consent="given", consent_given_by=["not", "text"]))
    assert result.errors == {"consent_given_by": "Consent given by must be text"}


def test_dynamic_list_errors_are_keyed_by_item():
    result = validate(FORM, valid_submission(actions=[
        {"action": "Visit", "owner": "Sam", "due": "2026-12-01"},
        {"action": "Call school", "owner": " ", "due": "2026-02-30"},
        "not an item",
    ]))
    assert result.errors == {
        "actions[1].owner": "Enter owner",
        "actions[1].due": "Due by must be a real date",
        "actions[2]": "Item 3 of actions is not in the right format",
    }
    assert result.cleaned["actions"] == [
        {"action": "Visit", "owner": "Sam", "due": "2026-12-01"}, {"action": "Call school"},
    ]
    assert validate(FORM, valid_submission(actions="Visit")).errors == {"actions": "Actions must be a list"}
    assert validate(FORM, valid_submission(actions=None)).cleaned["actions"] == []


def test_unknown_keys_are_ignored():
    result = validate(FORM, valid_submission(extra="x", contingency={"plan": "p", "other": 1}, actions=[
        {"action": "a", "owner": "o", "due": "2026-01-01", "secret": True}]))
    assert result.ok
    assert "extra" not in result.cleaned
    assert result.cleaned["contingency"] == {"plan": "p"}
    assert result.cleaned["actions"] == [{"action": "a", "owner": "o", "due": "2026-01-01"}]


def test_typed_json_values_are_accepted():
    result = validate(FORM, valid_submission(score=7.0, safeguarding_concern=False, attendees=[]))
    assert result.ok
    assert result.cleaned["score"] == 7 and isinstance(result.cleaned["score"], int)
    assert result.cleaned["safeguarding_concern"] is False
    assert result.cleaned["attendees"] == []


def test_not_a_mapping_is_treated_as_empty():
    assert validate(FORM, None).errors.keys() == {"decision", "rationale", "meeting_date"}  # type: ignore[arg-type]


# --- each rule, failing and passing --------------------------------------------------------

TEXT = {"type": "textfield", "key": "f", "label": "Child's name"}


def test_required_text():
    rule = {**TEXT, "validate": {"required": True}}
    assert one(rule, "").errors == {"f": "Enter child's name"}
    assert one(rule, "   ").errors == {"f": "Enter child's name"}
    assert one(rule, None).errors == {"f": "Enter child's name"}
    assert one(rule, "  Ann ").cleaned == {"f": "Ann"}
    assert one(TEXT, "  ").cleaned == {}  # optional and empty: omitted


def test_acronym_labels_keep_their_case():
    rule = {"type": "textfield", "key": "f", "label": "GP practice:", "validate": {"required": True}}
    assert one(rule, "").errors == {"f": "Enter GP practice"}


def test_text_must_be_text():
    assert one(TEXT, 12).errors == {"f": "Child's name must be text"}
    assert one(TEXT, {"a": 1}).errors == {"f": "Child's name must be text"}


def test_min_and_max_length():
    rule = {**TEXT, "validate": {"minLength": 2, "maxLength": 5}}
    assert one(rule, "A").errors == {"f": "Child's name must be 2 characters or more"}
    assert one(rule, "Abcdef").errors == {"f": "Child's name must be 5 characters or fewer"}
    assert one(rule, "Ab").ok and one(rule, "Abcde").ok
    assert one({**TEXT, "validate": {"maxLength": 1}}, "ab").errors == {"f": "Child's name must be 1 character or fewer"}


def test_textarea_max_length_counts_line_breaks_once():
    rule = {"type": "textarea", "key": "f", "label": "Rationale", "validate": {"maxLength": 3}}
    assert one(rule, "a\r\nb").cleaned == {"f": "a\nb"}
    assert one(rule, "a\r\nbc").errors == {"f": "Rationale must be 3 characters or fewer"}


def test_rationale_max_length_in_the_fixture():
    result = validate(FORM, valid_submission(rationale="x" * 2001))
    assert result.errors == {"rationale": "Rationale must be 2000 characters or fewer"}
    assert validate(FORM, valid_submission(rationale="x" * 2000)).ok


def test_pattern():
    rule = {**TEXT, "label": "Case number", "validate": {"pattern": "^[A-Z]{2}[0-9]{4}$"}}
    assert one(rule, "ab1234").errors == {"f": "Enter case number in the correct format"}
    assert one(rule, "AB1234").ok
    unanchored = {**TEXT, "validate": {"validationType": "custom", "pattern": "[0-9]"}}  # as form-js: a search
    assert one(unanchored, "abc1").ok
    assert not one(unanchored, "abc").ok


@pytest.mark.parametrize("value,ok", [
    ("name@example.com", True), ("first.last@council.gov.uk", True),
    ("name@example", False), ("name example.com", False), ("@example.com", False), ("a@b@c.com", False),
])
def test_email(value, ok):
    result = one({**TEXT, "validate": {"validationType": "email"}}, value)
    assert result.ok is ok
    if not ok:
        assert result.errors == {"f": "Enter an email address in the correct format, like name@example.com"}


@pytest.mark.parametrize("value,ok", [
    ("01632 960 001", True), ("07700 900982", True), ("+44 808 157 0192", True), ("(01632) 960-001", True),
    ("12345", False), ("call me", False), ("0163+2960001", False), ("+44 808 157 0192 1234567", False),
])
def test_phone(value, ok):
    result = one({**TEXT, "validate": {"validationType": "phone"}}, value)
    assert result.ok is ok
    if not ok:
        assert result.errors["f"].startswith("Enter a telephone number, like 01632 960 001")


NUMBER = {"type": "number", "key": "f", "label": "Risk score"}


def test_number_types():
    assert one(NUMBER, "12").cleaned == {"f": 12}
    assert one(NUMBER, " -3 ").cleaned == {"f": -3}
    assert one(NUMBER, "2.5").cleaned == {"f": 2.5}
    assert one(NUMBER, "2.0").cleaned == {"f": 2}
    assert one(NUMBER, 4).cleaned == {"f": 4}
    assert one(NUMBER, 4.5).cleaned == {"f": 4.5}
    assert one(NUMBER, "").cleaned == {}
    with_digits = {**NUMBER, "decimalDigits": 2}
    assert one(with_digits, "3").cleaned == {"f": 3.0} and isinstance(one(with_digits, "3").cleaned["f"], float)
    as_text = {**NUMBER, "serializeToString": True}
    assert one(as_text, "3.50").cleaned == {"f": "3.5"}


@pytest.mark.parametrize("value", ["ten", "1e3", "1,000", "0x10", "Infinity", "NaN", True, False,
                                   float("nan"), float("inf"), [1], {"v": 1}])
def test_not_a_number(value):
    assert one(NUMBER, value).errors == {"f": "Risk score must be a number"}


def test_huge_numbers_are_refused():
    assert one(NUMBER, 10 ** 400).errors == {"f": "Risk score is too large"}
    assert one(NUMBER, "9" * 30).errors == {"f": "Risk score is too large"}


def test_required_number_zero_is_given():
    rule = {**NUMBER, "validate": {"required": True}}
    assert one(rule, "0").cleaned == {"f": 0}
    assert one(rule, "").errors == {"f": "Enter risk score"}


def test_min_and_max():
    both = {**NUMBER, "validate": {"min": 0, "max": 10}}
    assert one(both, "-1").errors == {"f": "Risk score must be between 0 and 10"}
    assert one(both, "10.5").errors == {"f": "Risk score must be between 0 and 10"}
    assert one(both, "0").ok and one(both, "10").ok
    assert one({**NUMBER, "validate": {"min": 1.5}}, "1").errors == {"f": "Risk score must be 1.5 or more"}
    assert one({**NUMBER, "validate": {"max": "100"}}, "101").errors == {"f": "Risk score must be 100 or less"}


def test_decimal_digits():
    whole = {**NUMBER, "decimalDigits": 0}
    assert one(whole, "2.5").errors == {"f": "Risk score must be a whole number"}
    assert one(whole, "2.0").cleaned == {"f": 2}
    two = {**NUMBER, "decimalDigits": 2}
    assert one(two, "2.505").errors == {"f": "Risk score must have no more than 2 decimal places"}
    assert one(two, "2.50").cleaned == {"f": 2.5}
    assert one({**NUMBER, "decimalDigits": 1}, 0.25).errors == {"f": "Risk score must have no more than 1 decimal place"}


def test_increment():
    step = {**NUMBER, "increment": "0.5"}
    assert one(step, "1.25").errors == {"f": "Risk score must be a multiple of 0.5"}
    assert one(step, "1.5").ok
    assert one({**NUMBER, "increment": 0.1, "decimalDigits": 1}, 0.3).ok  # decimal, not binary, arithmetic


OPTIONS = [{"label": "Given", "value": "given"}, {"label": "Refused", "value": "refused"}]


@pytest.mark.parametrize("kind", ["radio", "select"])
def test_radio_and_select(kind):
    rule = {"type": kind, "key": "f", "label": "Consent", "values": OPTIONS, "validate": {"required": True}}
    assert one(rule, "given").cleaned == {"f": "given"}
    assert one(rule, "").errors == {"f": "Select consent"}
    assert one(rule, "maybe").errors == {"f": "Select consent from the list"}
    assert one(rule, "Given").errors == {"f": "Select consent from the list"}  # values, not labels
    assert one(rule, 1).errors == {"f": "Select consent from the list"}


def test_checklist():
    rule = {"type": "checklist", "key": "f", "label": "Who attended", "values": [
        {"label": "School", "value": "school"}, {"label": "Parent", "value": "parent"}]}
    assert one(rule, ["parent", "school", "parent"]).cleaned == {"f": ["school", "parent"]}  # option order, once
    assert one(rule, "parent").cleaned == {"f": ["parent"]}  # one value from an HTML form
    assert one(rule, None).cleaned == {"f": []}
    assert one(rule, ["school", "nurse"]).errors == {"f": "Select who attended from the list"}
    assert one(rule, [1]).errors == {"f": "Select who attended from the list"}
    required = {**rule, "validate": {"required": True}}
    assert one(required, []).errors == {"f": "Select who attended"}
    assert one(required, ["school"]).ok


def test_checkbox():
    rule = {"type": "checkbox", "key": "f", "label": "Parent agrees"}
    for value in (True, "on", "true", "TRUE", "yes", "1"):
        assert one(rule, value).cleaned == {"f": True}, value
    for value in (False, "off", "false", "", "0", None):
        assert one(rule, value).cleaned == {"f": False}, value
    assert validate(form_with(rule), {}).cleaned == {"f": False}
    assert one(rule, "perhaps").errors == {"f": "Parent agrees must be yes or no"}
    assert one(rule, 1).errors == {"f": "Parent agrees must be yes or no"}
    required = {**rule, "validate": {"required": True}}
    assert one(required, "").errors == {"f": "Confirm parent agrees"}
    assert one(required, "on").ok


DATE = {"type": "datetime", "subtype": "date", "key": "f", "dateLabel": "Date of birth"}


def test_date():
    assert one(DATE, "2026-11-23").cleaned == {"f": "2026-11-23"}
    assert one(DATE, date(2026, 11, 23)).cleaned == {"f": "2026-11-23"}
    assert one(DATE, {"day": "3", "month": "9", "year": "2026"}).cleaned == {"f": "2026-09-03"}
    assert one(DATE, {"day": "", "month": "", "year": ""}).cleaned == {}
    assert one(DATE, "").cleaned == {}
    assert one({**DATE, "validate": {"required": True}}, "").errors == {"f": "Enter date of birth"}


@pytest.mark.parametrize("value,message", [
    ("2026-02-30", "Date of birth must be a real date"),
    ("23/11/2026", "Date of birth must be a real date"),
    ("2026-1-5", "Date of birth must be a real date"),
    (20261123, "Date of birth must be a real date"),
    ("2026-11-23T10:00", "Date of birth must be a date without a time"),
    ("2026-11-23T10:00:00Z", "Date of birth must be a date without a time"),
    ({"day": "31", "month": "4", "year": "2026"}, "Date of birth must be a real date"),
    ({"day": "1", "month": "4", "year": "26"}, "Date of birth must be a real date"),
    ({"day": "1", "month": "", "year": ""}, "Date of birth must include a month and year"),
    ({"day": "x", "month": "4", "year": "2026"}, "Date of birth must be a real date"),
])
def test_date_refusals(value, message):
    assert one(DATE, value).errors == {"f": message}


def test_datetime_and_time_subtypes():
    moment = {"type": "datetime", "subtype": "datetime", "key": "f", "dateLabel": "Visit"}
    for value in ("2026-11-23T10:30", "2026-11-23T10:30:00Z", "2026-11-23T10:30:00+01:00"):
        assert one(moment, value).cleaned == {"f": value}
    assert one(moment, "2026-11-23").errors == {"f": "Visit must be a real date and time"}
    assert one(moment, "2026-11-23T25:00").errors == {"f": "Visit must be a real date and time"}
    clock = {"type": "datetime", "subtype": "time", "key": "f", "timeLabel": "Start time"}
    assert one(clock, "09:15").cleaned == {"f": "09:15"}
    assert one(clock, "09:15+01:00").cleaned == {"f": "09:15+01:00"}
    assert one(clock, "9.15am").errors == {"f": "Start time must be a real time"}


def test_disallow_passed_dates_uses_the_given_day():
    rule = {**DATE, "dateLabel": "Review date", "disallowPassedDates": True}
    today = date(2026, 6, 1)
    assert one(rule, "2026-05-31", today=today).errors == {"f": "Review date must be today or in the future"}
    assert one(rule, "2026-06-01", today=today).ok


def test_readonly_fields_are_never_taken_from_a_submission():
    form = form_with({"type": "textfield", "key": "ref", "readonly": True, "validate": {"required": True}},
                     {"type": "number", "key": "n", "disabled": True})
    result = validate(form, {"ref": "tampered", "n": "x"})
    assert result.ok and result.cleaned == {}


def test_hide_reads_typed_values_and_local_scope():
    form = form_with(
        {"type": "number", "key": "age", "label": "Age"},
        {"type": "textfield", "key": "school", "validate": {"required": True}, "conditional": {"hide": "=age < 5"}},
        {"type": "dynamiclist", "path": "children", "components": [
            {"type": "checkbox", "key": "at_home"},
            {"type": "textfield", "key": "address", "validate": {"required": True},
             "conditional": {"hide": "=at_home or age > 60"}},
        ]},
        {"type": "group", "path": "extra", "conditional": {"hide": "=process_flag = true"}, "components": [
            {"type": "textfield", "key": "note", "validate": {"required": True}},
        ]},
    )
    result = validate(form, {"age": "4", "children": [{"at_home": "on"}, {"at_home": ""}], "process_flag": True})
    assert result.errors == {"children[1].address": "Enter address"}
    assert result.cleaned == {"age": 4, "children": [{"at_home": True}, {"at_home": False}]}
    result = validate(form, {"age": "12", "children": [{"at_home": "off"}]})
    assert result.errors == {"school": "Enter school", "children[0].address": "Enter address", "extra.note": "Enter note"}
    assert validate(form, {"age": "70", "children": [{}], "school": "x", "extra": {"note": "n"}}).ok
    # an unusable value is read as given: "four" < 5 compares a string with a number -> null -> shown
    assert "school" in validate(form, {"age": "four"}).errors


def test_required_messages_for_questions_and_custom_messages():
    question = {"type": "radio", "key": "f", "label": "Is a worker available?", "values": OPTIONS,
                "validate": {"required": True}}
    assert one(question, "").errors == {"f": "Select an answer to: Is a worker available?"}
    assert one({**question, "type": "textfield"}, "").errors == {"f": "Enter an answer to: Is a worker available?"}
    custom = {**question, "properties": {"requiredMessage": "Select yes if a worker is available"}}
    assert one(custom, "").errors == {"f": "Select yes if a worker is available"}
    assert one(custom, "maybe").errors == {"f": "Select is a worker available from the list"}


def test_label_falls_back_to_the_key():
    assert one({"type": "textfield", "key": "family_name", "validate": {"required": True}}, "").errors == {
        "family_name": "Enter family name"}


def test_text_drops_characters_a_database_cannot_store():
    assert one(TEXT, "a\x00b").cleaned == {"f": "ab"}
    assert one(TEXT, "a\ud800b").cleaned == {"f": "a?b"}


# --- properties ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
item_keys = st.sampled_from(["action", "owner", "due", "x"])


@relaxed
@given(
    st.dictionaries(st.sampled_from(sorted(FORM.field_keys())) | st.text(max_size=8), json_values, max_size=12),
    st.lists(st.dictionaries(item_keys, json_values, max_size=4) | json_values, max_size=3),
    st.dictionaries(st.sampled_from(["plan", "other"]), json_values, max_size=2) | json_values,
)
def test_validate_never_raises(data, actions, contingency):
    for submission in (data, {**data, "actions": actions, "contingency": contingency}):
        result = validate(FORM, submission)
        assert isinstance(result.errors, dict) and isinstance(result.cleaned, dict)
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in result.errors.items())
        assert result.ok is (not result.errors)


safe_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=40)
present_text = safe_text.filter(lambda s: s.strip())
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


def date_value(day: date):
    return st.sampled_from([day.isoformat(), day, {"day": str(day.day), "month": str(day.month), "year": str(day.year)}])


def options_of(key: str) -> list[str]:
    return [value for value, _ in FORM.component(key).options]


@st.composite
def valid_data(draw) -> dict:
    """A submission the fixture form accepts, in raw or typed shapes."""
    data = {
        "decision": draw(st.sampled_from(options_of("decision"))),
        "rationale": draw(present_text | st.text(min_size=1999, max_size=2000).filter(lambda s: s.strip())),
        "meeting_date": draw(dates.flatmap(date_value)),
    }
    optional = {
        "consent": st.sampled_from(options_of("consent") + [""]),
        "consent_given_by": safe_text,
        "attendees": st.lists(st.sampled_from(options_of("attendees"))) | st.sampled_from(options_of("attendees")),
        "score": st.integers(0, 10) | st.floats(0, 10) | st.integers(0, 10).map(str)
        | st.decimals(0, 10, places=2).map(str),
        "actions": st.lists(st.fixed_dictionaries({
            "action": present_text, "owner": present_text, "due": dates.flatmap(date_value)}), max_size=3),
        "contingency": st.fixed_dictionaries({}, optional={"plan": safe_text}),
        "safeguarding_concern": st.booleans() | st.sampled_from(["on", "", "true", "false"]),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            data[key] = draw(strategy)
    return data


@relaxed
@given(valid_data())
def test_valid_data_passes_and_cleaned_round_trips(data):
    result = validate(FORM, data)
    assert result.ok, (data, result.errors)
    again = validate(FORM, result.cleaned)
    assert again.ok, again.errors
    assert again.cleaned == result.cleaned
    assert json.loads(json.dumps(result.cleaned)) == result.cleaned  # plain JSON


def not_an_option(options):
    return safe_text.filter(lambda s: s not in options)


MUTATIONS = {
    "decision": st.sampled_from([None, "", "  "]) | not_an_option(options_of("decision")),
    "rationale": st.sampled_from([None, "", " \n\t"]) | st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), min_size=2001, max_size=2100,
    ).filter(lambda s: len(s.strip()) > 2000),
    "meeting_date": st.sampled_from([None, "", "2026-13-01", "2026-11-23T09:00", "tomorrow"]),
    "score": st.integers(max_value=-1) | st.integers(min_value=11)
    | st.floats(10.000001, 1e14) | st.floats(-1e14, -0.000001) | st.integers(11, 10 ** 6).map(str),
    "consent": not_an_option(options_of("consent")),
    "attendees": st.lists(st.sampled_from(options_of("attendees"))).flatmap(
        lambda chosen: not_an_option(options_of("attendees")).map(lambda bad: chosen + [bad])),
}


@relaxed
@given(valid_data(), st.sampled_from(sorted(MUTATIONS)), st.data())
def test_invalid_data_never_passes(data, key, draw):
    data = dict(data)
    data[key] = draw.draw(MUTATIONS[key])
    if key in ("decision", "rationale", "meeting_date") and draw.draw(st.booleans()):
        del data[key]
    result = validate(FORM, data)
    assert not result.ok
    assert key in result.errors, (data, result.errors)


@relaxed
@given(valid_data(), st.data())
def test_invalid_action_item_never_passes(data, draw):
    items = draw.draw(st.lists(st.fixed_dictionaries({
        "action": present_text, "owner": present_text, "due": dates.map(date.isoformat)}), min_size=1, max_size=3))
    index = draw.draw(st.integers(0, len(items) - 1))
    field = draw.draw(st.sampled_from(["action", "owner", "due"]))
    if draw.draw(st.booleans()):
        del items[index][field]
    else:
        items[index][field] = draw.draw(st.sampled_from(["", "   ", None]))
    result = validate(FORM, {**data, "actions": items})
    assert not result.ok
    assert f"actions[{index}].{field}" in result.errors


@relaxed
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e14, max_value=1e14)
       | st.integers(-10 ** 14, 10 ** 14))
def test_numbers_round_trip(value):
    form = form_with({"type": "number", "key": "n"})
    first = validate(form, {"n": value})
    assert first.ok
    assert validate(form, first.cleaned).cleaned == first.cleaned
    assert math.isclose(first.cleaned["n"], value)


def _components(schema: dict) -> list[dict]:
    found = []
    stack = list(schema["components"])
    while stack:
        component = stack.pop()
        found.append(component)
        stack.extend(component.get("components", []))
    return found


COMPONENT_PROPERTIES = sorted({name for c in _components(SCHEMA) for name in c} | {
    "validate", "conditional", "values", "valuesKey", "decimalDigits", "increment", "subtype", "path", "readonly"})


@relaxed
@given(st.data())
def test_parse_form_raises_only_form_error_and_what_it_accepts_validates(draw):
    schema = copy.deepcopy(SCHEMA)
    components = _components(schema)
    for _ in range(draw.draw(st.integers(1, 3))):
        component = draw.draw(st.sampled_from(components))
        name = draw.draw(st.sampled_from(COMPONENT_PROPERTIES))
        component[name] = draw.draw(json_values)
    try:
        form = parse_form(schema)
    except FormError as error:
        assert "\n" not in str(error) and str(error).startswith("form 'Form_step_down'")
        return
    validate(form, draw.draw(st.dictionaries(st.sampled_from(sorted(form.field_keys())), json_values)))


# --- nesting an HTML form post -------------------------------------------------------------

def test_nest_turns_input_names_into_the_shape_validate_reads():
    from werkzeug.datastructures import MultiDict

    from engine.forms import nest

    posted = MultiDict([
        ("csrf_token", "t"),
        ("decision", "close"),
        ("rationale", "Done"),
        ("meeting_date-day", "23"), ("meeting_date-month", "11"), ("meeting_date-year", "2026"),
        ("attendees", "school"), ("attendees", "parent"),
        ("actions[3].action", "Call"), ("actions[3].owner", "Sam"), ("actions[3].due", "2026-12-01"),
        ("actions[0].action", "Visit"), ("actions[0].owner", "Ann"),
        ("actions[0].due-day", "2"), ("actions[0].due-month", "12"), ("actions[0].due-year", "2026"),
        ("contingency.plan", "Plan B"),
        ("safeguarding_concern", "on"),
        ("bad name!", "x"), ("score-day", "1"),
    ])
    data = nest(FORM, posted)
    assert data == {
        "csrf_token": "t",
        "decision": "close",
        "rationale": "Done",
        "meeting_date": {"day": "23", "month": "11", "year": "2026"},
        "attendees": ["school", "parent"],
        "actions": [
            {"action": "Visit", "owner": "Ann", "due": {"day": "2", "month": "12", "year": "2026"}},
            {"action": "Call", "owner": "Sam", "due": "2026-12-01"},
        ],
        "contingency": {"plan": "Plan B"},
        "safeguarding_concern": "on",
    }
    result = validate(FORM, data)
    assert result.ok, result.errors
    assert result.cleaned["actions"][0]["due"] == "2026-12-02"
    assert result.cleaned["attendees"] == ["parent", "school"]
    assert nest(FORM, {"attendees": "school", "decision": ["a", "close"]}) == {"attendees": ["school"], "decision": "close"}
    assert nest(FORM, [("contingency.plan", "p")]) == {"contingency": {"plan": "p"}}


@relaxed
@given(st.lists(st.tuples(st.text(max_size=20) | st.sampled_from(["actions[0].owner", "actions[1]", "a.b[2].c", "attendees"]),
                          st.text(max_size=5))))
def test_nest_never_raises(pairs):
    from engine.forms import nest

    validate(FORM, nest(FORM, pairs))


def test_hide_can_read_process_variables_that_are_never_field_values():
    form = form_with(
        {"type": "textfield", "key": "school", "validate": {"required": True}, "conditional": {"hide": "=child_age < 5"}},
        {"type": "textfield", "key": "note"},
    )
    assert validate(form, {}, variables={"child_age": 3}).ok
    assert validate(form, {}, variables={"child_age": 9}).errors == {"school": "Enter school"}
    result = validate(form, {"school": "St Mary's"}, variables={"child_age": 9, "note": "old", "school": "old"})
    assert result.cleaned == {"school": "St Mary's"}  # variables never fill a field
    assert validate(form, {"child_age": 3}, variables={"child_age": 9}).ok  # the submission wins
