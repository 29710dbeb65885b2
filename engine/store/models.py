"""The tables. Instance state is stored without its spec; task-list rows are a projection."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no zone and would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use engine.clock for times")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # SQLite's DATETIME stores 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's storage format), which
        # isoformat writes in one call, cheaper than SQLAlchemy's own formatting, on every time every
        # step writes (tests/test_store.py checks they agree).
        def process(value):
            value = self.process_bind_param(value, dialect)
            return None if value is None else value.isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Deployment(Base):
    __tablename__ = "deployment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(100))
    # Order of deployment (unique, so two concurrent deployments cannot both take the same place).
    sequence: Mapped[int] = mapped_column(Integer, unique=True)

    files: Mapped[list[DeploymentFile]] = relationship(back_populates="deployment", order_by="DeploymentFile.filename")
    definitions: Mapped[list[ProcessDefinition]] = relationship(back_populates="deployment")


class DeploymentFile(Base):
    __tablename__ = "deployment_file"
    __table_args__ = (UniqueConstraint("deployment_id", "filename"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))  # bpmn | dmn | form
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    deployment: Mapped[Deployment] = relationship(back_populates="files")


class ProcessDefinition(Base):
    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[str] = mapped_column(String(160), primary_key=True)  # "<key>:<version>:<deployment id>"
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(200))
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"), index=True)
    resource: Mapped[str] = mapped_column(String(300))  # the BPMN file the process lives in
    content_hash: Mapped[str] = mapped_column(String(64))  # of the process's own files, for "unchanged" checks
    # Serialized spec and subprocess specs, stored once per version; instances refer to it.
    spec: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]

    deployment: Mapped[Deployment] = relationship(back_populates="definitions")


class FormDefinition(Base):
    __tablename__ = "form_definition"
    __table_args__ = (UniqueConstraint("deployment_id", "form_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    form_id: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(300))
    schema: Mapped[dict[str, Any]]


class Case(Base):
    """A child's (or sibling group's) case; the business key is the case reference."""

    __tablename__ = "case_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    business_key: Mapped[str] = mapped_column(String(100), unique=True)
    council: Mapped[str | None] = mapped_column(String(60), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    locality: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime]

    people: Mapped[list[CasePerson]] = relationship(back_populates="case", order_by="CasePerson.id")


class CasePerson(Base):
    __tablename__ = "case_person"
    __table_args__ = (Index("ix_case_person_nhs", "nhs_number"), Index("ix_case_person_csn", "case_system_number"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # child | household
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[str | None] = mapped_column(String(10))
    nhs_number: Mapped[str | None] = mapped_column(String(12))
    case_system_number: Mapped[str | None] = mapped_column(String(40))
    relationship_to_child: Mapped[str | None] = mapped_column(String(60))

    case: Mapped[Case] = relationship(back_populates="people")


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_instance_timer", "state", "next_timer_due"),
        # Reports (engine/reports): instances by start and by end, read from the index alone.
        Index("ix_instance_report_started", "started_at", "definition_id", "state", "case_id", "id"),
        Index("ix_instance_report_ended", "ended_at", "definition_id", "state", "case_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[str] = mapped_column(ForeignKey("process_definition.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(100), index=True)
    state: Mapped[str] = mapped_column(String(20))  # running | completed | cancelled
    version: Mapped[int] = mapped_column(Integer)  # optimistic lock
    # Workflow attributes without tasks or spec; the tasks live in workflow_task.
    header: Mapped[dict[str, Any]]
    next_timer_due: Mapped[datetime | None]
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(100))
    ended_at: Mapped[datetime | None]

    definition: Mapped[ProcessDefinition] = relationship()
    case: Mapped[Case] = relationship()


class WorkflowTask(Base):
    """One SpiffWorkflow task's serialized state; only changed tasks are rewritten on a step."""

    __tablename__ = "workflow_task"

    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(36))  # "" for the top workflow, else the subprocess id
    body: Mapped[str] = mapped_column(Text)


class HumanTask(Base):
    """The task list's projection of user tasks, kept in step with the workflow in one transaction."""

    __tablename__ = "human_task"
    __table_args__ = (
        # The task list's order (soonest due first, undated last), so a page is read from the
        # index and never sorted in full.
        Index("ix_human_task_list_order", "state", text("(due_at IS NULL)"), "due_at", "created_at", "id"),
        # "Assigned to me" in display order: read from here, not by filtering the whole list.
        Index("ix_human_task_assignee_order", "assignee", "state", text("(due_at IS NULL)"), "due_at", "created_at",
              "id"),
        Index("ix_human_task_instance", "instance_id", "state"),
        Index("ix_human_task_business_key", "business_key", "state"),
        # Reports: completions and referrals of named elements (the step-down tray, front-door referrals).
        Index("ix_human_task_report_element", "element_id", "completed_at", "process_key", "instance_id"),
        # Reports: the first allocation after a step-down decision, per instance (migration 0011).
        Index("ix_human_task_report_instance", "instance_id", "element_id", "completed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    business_key: Mapped[str] = mapped_column(String(100))
    process_key: Mapped[str] = mapped_column(String(100))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(100))
    candidate_groups: Mapped[list[Any]]
    form_ref: Mapped[str | None] = mapped_column(String(200))
    properties: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(20))  # open | completed | cancelled
    assignee: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))


class TaskRole(Base):
    """Which roles may act on a task (its lane and candidate groups), for indexed role queries."""

    __tablename__ = "human_task_role"
    # A role's open tasks by index (the task list), and a role's tasks of any state by its prefix.
    __table_args__ = (Index("ix_task_role_open", "role", "task_open", "task_id"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Kept equal to (human_task.state == "open") by the database: the trigger human_task_state_changed
    # (migration 0015) sets it when the task's state changes. A server default only, so inserts that
    # name task_id and role (the prepared per-step ones included) get true.
    task_open: Mapped[bool] = mapped_column(server_default=true())


class TaskDraft(Base):
    """A person's unfinished input; the database drops it when its task closes (trigger
    human_task_state_changed, migration 0015)."""

    __tablename__ = "task_draft"

    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict[str, Any]]
    saved_by: Mapped[str] = mapped_column(String(100))
    saved_at: Mapped[datetime]


class MessageSubscription(Base):
    """A message an instance is waiting for, so correlation finds it without loading workflows."""

    __tablename__ = "message_subscription"
    __table_args__ = (Index("ix_message_subscription_name", "message_name", "business_key"),)

    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    message_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    business_key: Mapped[str] = mapped_column(String(100))


class Incident(Base):
    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_open", "resolved_at", "instance_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    element_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    # "engine": a failed engine step, retried by running the steps again. Other kinds belong to a
    # module that registered a retry for them (engine.runtime.events.on_retry), e.g. "document".
    kind: Mapped[str] = mapped_column(String(20), default="engine", server_default="engine")
    details: Mapped[dict[str, Any] | None]


class AuditEvent(Base):
    """Append-only (triggers refuse UPDATE and DELETE): who did what, when."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_instance", "instance_id", "id"),
        Index("ix_audit_business_key", "business_key", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    business_key: Mapped[str | None] = mapped_column(String(100))
    instance_id: Mapped[str | None] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36))
    details: Mapped[dict[str, Any]]


class UserAccount(Base):
    """A local sign-in account for the task list (the web pages); roles are BPMN lane names."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2; None: cannot sign in locally
    team: Mapped[str | None] = mapped_column(String(100))
    locality: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    roles: Mapped[list[UserRole]] = relationship(back_populates="user", order_by="UserRole.role",
                                                 cascade="all, delete-orphan")


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (Index("ix_user_role_role", "role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True)

    user: Mapped[UserAccount] = relationship(back_populates="roles")


class SavedFilter(Base):
    """A task-list filter a person saved under a name; `team` set: shared with that team."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_saved_filter_owner_name"),
                      Index("ix_saved_filter_team", "team"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(60))
    tab: Mapped[str] = mapped_column(String(20))
    process_key: Mapped[str | None] = mapped_column(String(100))
    due: Mapped[str | None] = mapped_column(String(20))
    team: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class AccountInvite(Base):
    """A one-time link an admin gives a new person to set their password; only its sha256 is kept."""

    __tablename__ = "account_invite"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


# -- webhooks (issue 7): subscriptions, the outbox written with each change, delivery log, inbound --

class WebhookSubscription(Base):
    """Where to send which events. `event_types` holds names or shell patterns ("task.*", "lcs.*", "*")."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))  # Standard Webhooks "whsec_<base64>"
    event_types: Mapped[list[Any]]
    description: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # Deleted by an admin: never delivered to again, hidden from lists; its delivery log is kept.
    deleted_at: Mapped[datetime | None]


class WebhookOutbox(Base):
    """One event for one subscription, written in the transaction of the change that caused it."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (Index("ix_webhook_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)  # the webhook-id header, same on every retry
    state: Mapped[str] = mapped_column(String(20))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]  # also the lease of a worker that has claimed the row
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_webhook_attempt_outbox", "outbox_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("webhook_outbox.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)


class WebhookSource(Base):
    """A system allowed to POST /webhooks/in/<name>, and the secret its signatures use."""

    __tablename__ = "webhook_source"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class InboundWebhook(Base):
    """Every inbound request and what became of it. `accepted_id` is the webhook id of an accepted one
    (NULL otherwise): unique per source, so a replay cannot be accepted twice, even concurrently."""

    __tablename__ = "inbound_webhook"
    __table_args__ = (UniqueConstraint("source", "accepted_id", name="uq_inbound_webhook_accepted"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    webhook_id: Mapped[str | None] = mapped_column(String(200))
    accepted_id: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))  # accepted | rejected
    status: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[str | None] = mapped_column(String(36))


class ReportFact(Base):
    """A reportable value taken from an event as it happens (engine/reports/facts.py): a consent
    outcome, a decision, a route, the end event an instance reached. Reports read these instead of
    deserialising workflows; audit rows keep only field names."""

    __tablename__ = "report_fact"
    __table_args__ = (
        Index("ix_report_fact_name_at", "name", "at", "process_key", "value", "instance_id"),
        Index("ix_report_fact_instance", "instance_id", "name", "id", "value"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    instance_id: Mapped[str] = mapped_column(String(36))
    business_key: Mapped[str] = mapped_column(String(100))
    process_key: Mapped[str] = mapped_column(String(100))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(40))  # consent | route | decision | outcome
    field: Mapped[str | None] = mapped_column(String(100))  # the form field it came from
    value: Mapped[str] = mapped_column(String(200))


class Document(Base):
    """A rendered Word document (engine/documents): immutable (triggers refuse UPDATE and DELETE);
    a re-issue is a new row with the next version for its (case, template)."""

    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("business_key", "template_id", "version", name="uq_document_version"),
        Index("ix_document_business_key", "business_key", "template_id", "version"),
        Index("ix_document_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    business_key: Mapped[str] = mapped_column(String(100))
    instance_id: Mapped[str] = mapped_column(String(36))
    task_id: Mapped[str] = mapped_column(String(36))
    template_id: Mapped[str] = mapped_column(String(100))
    template_sha256: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(300))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    # the field values the document shows, for packs that tabulate them (e.g. a transfer spreadsheet)
    fields: Mapped[dict[str, Any]]
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class PackBuild(Base):
    """A case or meeting pack built in the background for the admin pages (engine/documents/builds):
    its progress while it builds, then the finished files. Mutable while it builds; the
    documents it gathers stay immutable in `document`."""

    __tablename__ = "pack_build"
    __table_args__ = (Index("ix_pack_build_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # case | meeting
    target: Mapped[str] = mapped_column(String(100))  # the case reference, or the meeting's date
    status: Mapped[str] = mapped_column(String(20))  # queued | building | done | failed
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    steps_total: Mapped[int] = mapped_column(Integer, default=0)
    step_label: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(200))  # file stem, e.g. case-pack-NS-1
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # cases, documents, sha256 of each file
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    docx: Mapped[bytes | None] = mapped_column(LargeBinary)
    zip: Mapped[bytes | None] = mapped_column(LargeBinary)
    xlsx: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)

class ApiToken(Base):
    """A bearer token for the REST API, acting as its user (with that user's roles at each use).
    Only the token's sha256 is stored; the token itself is shown once, when it is made."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, so people can tell tokens apart
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))
