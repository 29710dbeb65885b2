"""The one exception for a bad form schema."""
from __future__ import annotations


class FormError(Exception):
    """A form schema Stepwise cannot use. ``str()`` is one line naming the form (or its file)
    and, where relevant, the component, e.g.
    ``form 'Form_step_down' component 'x': unsupported component type 'filepicker'``."""

    def __init__(self, message: str, form_id: str | None = None, component: str | None = None,
                 filename: str | None = None):
        self.form_id = form_id
        self.component = component
        self.filename = filename
        self.reason = message
        if form_id:
            where = f"form '{form_id}'"
        elif filename:
            where = f"form file '{filename}'"
        else:
            where = "form"
        if component:
            where += f" component '{component}'"
        super().__init__(" ".join(f"{where}: {message}".split()))
