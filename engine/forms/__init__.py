"""Camunda Forms (form-js ``.form`` JSON): parse into a component tree, validate submissions.

    form = parse_form(text, "step_down_decision.form")   # FormError if Stepwise cannot run it
    form.components      # tree of Component nodes, in order (see engine.forms.model)
    form.fields()        # every data-bearing Field, e.g. key "actions[].owner"
    result = validate(form, nest(form, request.form))   # nest: HTML names -> nested data
    result.ok, result.errors, result.cleaned

Modules: ``schema`` parses, ``model`` holds the node types, ``feel`` is the FEEL subset for
``conditional.hide``, ``values`` types and checks one field, ``validate`` walks a submission,
``messages`` words the errors, ``flat`` nests an HTML form post.
"""
from .errors import FormError
from .feel import Expression, FeelError
from .flat import nest, path_steps
from .model import Component, Field, Form
from .schema import parse_form
from .validate import ValidationResult, validate

__all__ = [
    "Component", "Expression", "FeelError", "Field", "Form", "FormError", "ValidationResult",
    "nest", "parse_form", "path_steps", "validate",
]
