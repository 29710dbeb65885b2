"""Deploy a set of files as one versioned deployment, or refuse it whole with a clear error."""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from lxml import etree
from sqlalchemy import func, select
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine import clock, forms
from engine.serializer import spec_to_dict
from engine.store import models
from engine.store.db import Database

from . import expressions_check
from .parser import FORM_REF, StepwiseParser

KINDS = {".bpmn": "bpmn", ".dmn": "dmn", ".form": "form"}
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Column sizes (engine/store/models.py): refused here with the file named, not by the database.
MAX_KEY_LENGTH = 100
MAX_FILENAME_LENGTH = 300
MAX_FORM_ID_LENGTH = 200
MAX_NAME_LENGTH = 200


class DeploymentError(Exception):
    """Why a deployment was refused: names the file, line and element id where known."""

    def __init__(self, message: str, *, filename: str | None = None, line: int | None = None, element_id: str | None = None):
        self.message = message
        self.filename = filename
        self.line = line
        self.element_id = element_id
        where = ":".join(str(p) for p in (filename, line) if p)
        element = f" element '{element_id}'" if element_id else ""
        super().__init__(f"{where}{element}: {message}" if (where or element) else message)


@dataclass(frozen=True)
class SourceFile:
    filename: str
    content: bytes

    @property
    def kind(self) -> str | None:
        return KINDS.get(Path(self.filename).suffix.lower())

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class DeployResult:
    deployment_id: str
    created: bool  # False when identical files were already deployed
    definitions: list[tuple[str, int, str]] = field(default_factory=list)  # (key, version, id) of new versions
    unchanged: list[str] = field(default_factory=list)  # keys whose latest version already matched


def collect(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Files of a folder (recursively) or named files; names are relative to the folder given."""
    found: list[SourceFile] = []
    for path in map(Path, paths):
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file() and file.suffix.lower() in KINDS:
                    found.append(SourceFile(file.relative_to(path).as_posix(), file.read_bytes()))
        elif path.is_file():
            found.append(SourceFile(path.name, path.read_bytes()))
        else:
            raise DeploymentError(f"no such file or folder: {path}")
    return found


def _xml(file: SourceFile) -> etree._Element:
    try:
        return etree.fromstring(file.content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise DeploymentError(f"not well-formed XML: {error.msg}", filename=file.filename, line=error.lineno) from None


def _line_of(documents: dict[str, etree._Element], filename: str | None, element_id: str | None) -> int | None:
    if not element_id:
        return None
    for name, root in documents.items():
        if filename and name != filename:
            continue
        for node in root.iterfind(f".//*[@id='{element_id}']"):
            return node.sourceline
    return None


_MISSING_PROCESS = re.compile(r"process '([^']+)' was not found")


def _validation_error(error: ValidationException, documents: dict[str, etree._Element]) -> DeploymentError:
    element_id = getattr(error, "id", None) or None
    filename = getattr(error, "file_name", None) or None
    missing = _MISSING_PROCESS.search(str(error.args[0] if error.args else error))
    if element_id is None and missing:
        # SpiffWorkflow names the missing process but not the call activity that wants it.
        for name, root in documents.items():
            node = root.find(f".//{{{BPMN_NS}}}callActivity[@calledElement='{missing.group(1)}']")
            if node is not None:
                element_id, filename = node.get("id"), name
                break
    line = getattr(error, "line_number", None) or _line_of(documents, filename, element_id)
    if filename is None and element_id:
        filename = next((n for n, root in documents.items() if root.find(f".//*[@id='{element_id}']") is not None), None)
    message = error.args[0] if error.args else str(error)
    return DeploymentError(str(message), filename=filename, line=line or None, element_id=element_id)


def parse(files: list[SourceFile]) -> tuple[dict, dict[str, forms.Form], dict[str, SourceFile]]:
    """Parse and check everything; returns (specs by process id, forms by id, form files by id)."""
    if not any(f.kind for f in files):
        raise DeploymentError("nothing to deploy: no .bpmn, .dmn or .form files")
    files = [f for f in files if f.kind]
    for file in files:
        if len(file.filename) > MAX_FILENAME_LENGTH:
            raise DeploymentError(f"file name is longer than {MAX_FILENAME_LENGTH} characters", filename=file.filename)
    names = [f.filename for f in files]
    if len(set(names)) != len(names):
        raise DeploymentError(f"the same file name twice: {sorted({n for n in names if names.count(n) > 1})}")

    parsed_forms: dict[str, forms.Form] = {}
    form_files: dict[str, SourceFile] = {}
    for file in files:
        if file.kind == "form":
            try:
                form = forms.parse_form(file.content, file.filename)
            except forms.FormError as error:
                raise DeploymentError(str(error), filename=file.filename) from None
            if len(form.id) > MAX_FORM_ID_LENGTH:
                raise DeploymentError(f"form id '{form.id[:60]}...' is longer than {MAX_FORM_ID_LENGTH} characters",
                                      filename=file.filename)
            if form.id in parsed_forms:
                raise DeploymentError(f"form id '{form.id}' also in {form_files[form.id].filename}", filename=file.filename)
            parsed_forms[form.id] = form
            form_files[form.id] = file

    parser = StepwiseParser()
    documents: dict[str, etree._Element] = {}
    try:
        for file in files:
            if file.kind == "dmn":
                documents[file.filename] = root = _xml(file)
                try:
                    parser.add_dmn_xml(root, filename=file.filename)
                except ValidationException:
                    raise
                except Exception as error:  # noqa: BLE001 - SpiffWorkflow's DMN parser fails in lxml on non-DMN
                    raise DeploymentError(f"not a DMN decision file ({error})", filename=file.filename,
                                          line=root.sourceline) from None
        for file in files:
            if file.kind == "bpmn":
                documents[file.filename] = root = _xml(file)
                parser.add_bpmn_xml(root, filename=file.filename)
    except ValidationException as error:
        raise _validation_error(error, documents) from None

    for filename, root in documents.items():
        found = expressions_check.dmn_expressions(root) if filename.lower().endswith(".dmn") else expressions_check.bpmn_expressions(root)
        for expression, reason in expressions_check.problems(found):
            raise DeploymentError(
                f"{expression.what} '{expression.source}' is not allowed: {reason}",
                filename=filename, line=expression.line, element_id=expression.element_id,
            )

    specs = {}
    try:
        for process_id in parser.get_process_ids():
            if len(process_id) > MAX_KEY_LENGTH:
                node_file = parser.get_process_parser(process_id).filename
                raise DeploymentError(f"process id is longer than {MAX_KEY_LENGTH} characters", filename=node_file,
                                      line=_line_of(documents, node_file, process_id), element_id=process_id)
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
            for each in [spec, *subprocess_specs.values()]:
                expressions_check.space_word_operators(each)
            specs[process_id] = (spec, subprocess_specs, parser.get_process_parser(process_id).filename)
    except ValidationException as error:
        raise _validation_error(error, documents) from None
    if not specs and any(f.kind == "bpmn" for f in files):
        raise DeploymentError("no executable process (isExecutable=\"true\") in the BPMN files")

    for spec, subprocess_specs, filename in specs.values():
        for each in [spec, *subprocess_specs.values()]:
            for task_spec in each.task_specs.values():
                form_ref = (getattr(task_spec, "extensions", None) or {}).get(FORM_REF)
                if form_ref and form_ref not in parsed_forms:
                    where = getattr(each, "file", None) or filename
                    raise DeploymentError(
                        f"camunda:formRef '{form_ref}' names no form in this deployment "
                        f"(forms: {', '.join(sorted(parsed_forms)) or 'none'})",
                        filename=where, line=_line_of(documents, where, task_spec.bpmn_id), element_id=task_spec.bpmn_id,
                    )
    return specs, parsed_forms, form_files


def _display_name(description: str | None, process_id: str) -> str | None:
    if not description or description == process_id:
        return None
    return description if len(description) <= MAX_NAME_LENGTH else description[: MAX_NAME_LENGTH - 1] + "…"


def _forms_used(spec, subprocess_specs) -> set[str]:
    used = set()
    for each in [spec, *subprocess_specs.values()]:
        for task_spec in each.task_specs.values():
            if (ref := (getattr(task_spec, "extensions", None) or {}).get(FORM_REF)):
                used.add(ref)
    return used


def _hash_json(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def deploy(db: Database, files: list[SourceFile], *, name: str = "stepwise", actor: str = "system", source: str | None = None) -> DeployResult:
    """Store the files as one deployment, with a new version for each process that changed.

    Everything is checked before anything is written, and the writes are one transaction.
    """
    specs, parsed_forms, form_files = parse(files)
    content_hash = _hash_json(sorted((f.filename, f.sha256) for f in files))
    now = clock.now()
    with db.transaction() as session:
        # Like Camunda's duplicate filtering: unchanged means the same files as the newest
        # deployment of this name, so going back to earlier files is a real change.
        latest = session.scalar(
            select(models.Deployment).where(models.Deployment.name == name)
            .order_by(models.Deployment.sequence.desc()).limit(1)
        )
        if latest is not None and latest.content_hash == content_hash:
            return DeployResult(latest.id, created=False, unchanged=sorted(specs))
        sequence = (session.scalar(select(func.max(models.Deployment.sequence))) or 0) + 1
        deployment = models.Deployment(
            id=str(uuid.uuid4()), name=name, source=source, content_hash=content_hash, deployed_at=now,
            deployed_by=actor, sequence=sequence,
        )
        session.add(deployment)
        for file in files:
            if file.kind:
                session.add(models.DeploymentFile(deployment=deployment, filename=file.filename, kind=file.kind, sha256=file.sha256, content=file.content))
        for form_id, form in parsed_forms.items():
            session.add(models.FormDefinition(deployment_id=deployment.id, form_id=form_id, filename=form_files[form_id].filename, schema=form.schema))
        result = DeployResult(deployment.id, created=True)
        for process_id, (spec, subprocess_specs, filename) in sorted(specs.items()):
            stored = spec_to_dict(spec, subprocess_specs)
            used_forms = sorted(_forms_used(spec, subprocess_specs))
            process_hash = _hash_json({"spec": stored, "forms": {f: parsed_forms[f].schema for f in used_forms}})
            latest = session.scalar(
                select(models.ProcessDefinition).where(models.ProcessDefinition.key == process_id)
                .order_by(models.ProcessDefinition.version.desc()).limit(1)
            )
            if latest is not None and latest.content_hash == process_hash:
                result.unchanged.append(process_id)
                continue
            version = (latest.version if latest else 0) + 1
            definition = models.ProcessDefinition(
                id=f"{process_id}:{version}:{deployment.id}", key=process_id, version=version,
                name=_display_name(spec.description, process_id),
                deployment_id=deployment.id, resource=filename or "", content_hash=process_hash, spec=stored, created_at=now,
            )
            session.add(definition)
            result.definitions.append((process_id, version, definition.id))
        session.add(models.AuditEvent(
            at=now, actor=actor, action="deployment.created", details={
                "deployment_id": deployment.id, "name": name, "files": [f.filename for f in files],
                "definitions": [d[2] for d in result.definitions],
            },
        ))
        return result
