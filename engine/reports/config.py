"""What the reports recognise, in one place: process keys, elements and end events.

Everything here is data, so a council whose diagrams use other ids passes its own `ReportConfig`
to the report functions (or edits these defaults alongside its diagrams).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Form fields whose submitted values are recorded as facts (engine/reports/facts.py).
CONSENT_FIELD = "consent"  # given | refused | not_sought_risk, on every council's consent form
ROUTE_FIELDS = ("route", "proposed_route")  # the last one submitted in an instance is its route
DECISION_SUFFIXES = ("_decision", "_outcome")  # also `recommendation`: a decision's recorded value
DECISION_FIELDS = ("recommendation",)

# End events that close a side branch (an escalation, a parallel notification) rather than say
# how the procedure ended: the outcome is the other end event reached, when there is one.
BRANCH_ENDS = frozenset({"end_ei_form", "end_overdue_escalated", "end_escalated", "end_ei_continues"})


@dataclass(frozen=True)
class ReportConfig:
    # A process is a step-up / step-down when its key contains these.
    step_up_marker: str = "_step_up"
    step_down_marker: str = "_step_down"
    # Front-door referrals: user tasks with these element ids (the common safeguarding referral,
    # run as a call activity inside every council's procedure), counted when created.
    referral_elements: tuple[str, ...] = ("urgent_referral",)
    # Step-down ends after which the case stays with social care: not a step-down or closure,
    # so no re-referral clock starts.
    stays_with_social_care: frozenset[str] = frozenset({
        "end_not_agreed", "end_remains_csc", "end_consent_refused", "end_consent_not_sought",
        "end_partners_not_agreed", "end_stays_open", "end_stays_open_no_consent",
        "end_closure_not_signed_off", "end_criteria_not_met", "end_marf_referred",
    })
    # Step-down ends that hand the family to early help (the census extract's flag).
    early_help_ends: frozenset[str] = frozenset({
        "end_stepped_down", "end_stepped_down_caf", "end_universal_plus", "end_sbc_early_help",
        "end_early_help_support", "end_brokered_package", "end_panel_ehsa", "end_panel_multi_agency",
        "end_intensive_support", "end_consultation_continue",
    })
    # Step-up ends that start a social work / statutory assessment (the census assessment date).
    assessment_ends: frozenset[str] = frozenset({
        "end_stepped_up", "end_sap_started", "end_s17_cin", "end_s47_cp", "end_s47", "end_childrens_team",
    })
    # Days in the step-down tray, per process: (step-down decision elements, early help allocation
    # elements). The tray runs from the first completion of a decision element to the first
    # completion of an allocation element after it (task.completed audit rows).
    tray: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=lambda: {
        "north_somerset_step_down": (("tm_agree_step_down",), ("record_meeting",)),
        "halton_step_down": (("final_cin_meeting",), ("ei_step_down_form",)),
        "shropshire_step_down": (("tm_agree_step_down",), ("ops_allocate_lp", "sf_allocate_ldo")),
        "swindon_step_down": (("transfer_meeting",), ("accept_handover",)),
        "warwickshire_step_down": (("tm_agree_step_down",),
                                   ("assign_early_help_officer", "weekly_allocation_meeting", "locality_panel_decision")),
    })
    # Manager sign-offs: open tasks whose lane (the role that must act) ends with "_manager" or
    # is one of these.
    manager_roles: frozenset[str] = frozenset()


DEFAULT = ReportConfig()


def is_manager_role(role: str, config: ReportConfig = DEFAULT) -> bool:
    return role.endswith("_manager") or role in config.manager_roles
