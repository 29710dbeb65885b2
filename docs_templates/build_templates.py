"""Build the docxtpl Word templates and `catalogue.json` from the specs below.

    python docs_templates/build_templates.py            # rewrites every .docx and catalogue.json

Each template looks like a council form: the council and document title in the page header,
the case reference, the child and family details, the sections a worker filled in, tables for
attendees and actions (docxtpl row loops, `{%tr for a in actions %}`), a sign-off block and the
generated date in the footer. Admins may then edit the .docx files in Word; the catalogue check
(tests/test_documents.py) keeps their fields in line with the forms.

Names a template can use:
- the fields of the form of a task that produces it (option values come out as their labels,
  checkboxes as Yes/No; a field the form left empty renders empty);
- `upstream` fields: fields of another form of the same process, filled in earlier (e.g. the
  manager's decision); empty when the case did not pass that task;
- the case: see `engine.documents.render.CASE_FIELDS`.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor
from docxtpl import DocxTemplate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from engine.documents.docxutil import drop_unneeded_parts, prune_styles  # noqa: E402

COUNCILS = {
    "common": "Shared safeguarding referral",
    "halton": "Halton Borough Council",
    "north_somerset": "North Somerset Council",
    "shropshire": "Shropshire Council",
    "swindon": "Swindon Borough Council",
    "warwickshire": "Warwickshire County Council",
}

ACTIONS = [("Action", "action"), ("Owner", "owner"), ("Due by", "due")]

# id: title, council, producers [(process key, task element id, form id)], sections
# [(heading, [(label, field)])], tables [(heading, list field, [(column, item key or None)])],
# upstream {field: form id}
SPECS: dict[str, dict] = {
    "marf": {
        "title": "Multi-Agency Referral Form (urgent safeguarding referral)", "council": "common",
        "producers": [("common_safeguarding_referral", "urgent_referral", "common_urgent_referral")],
        "sections": [("The concern", [("Safeguarding concern", "concern"), ("Immediate action taken", "immediate_action"),
                                      ("Has the child been seen?", "child_seen")]),
                     ("Decision", [("Referred to", "referred_to"), ("Date referred", "referred_at")])],
    },
    "halton_icart_referral": {
        "title": "iCART referral: planned step-up from CAF", "council": "halton",
        "producers": [("halton_planned_step_up", "lp_icart_referral", "halton_icart_referral")],
        "sections": [("Concerns", [("Why needs are increasing to level 3", "concerns")]),
                     ("Decision", [("Step-up to children's social care requested", "step_up_requested")]),
                     ("CAF step-up meeting", [("Date", "step_up_meeting_date"), ("Venue and time", "step_up_meeting_venue")]),
                     ("Consent", [("Family's consent", "consent"), ("Decided by", "consent_decided_by"),
                                  ("Referral sent to iCART on", "referral_sent_on")])],
    },
    "halton_ei_step_down_form": {
        "title": "Early Intervention step-down form", "council": "halton",
        "producers": [("halton_step_down", "ei_step_down_form", "halton_ei_step_down_form")],
        "upstream": {"cin_outcome": "halton_final_cin_meeting", "outcome_rationale": "halton_final_cin_meeting"},
        "sections": [("Decision", [("Outcome of the final CIN meeting", "cin_outcome"), ("Rationale", "outcome_rationale"),
                                   ("Outcome agreed at the meeting confirmed", "outcome_confirmed")]),
                     ("Overview of the meeting", [("Overview", "ei_overview"), ("Date completed", "ei_form_completed_on")])],
        "tables": [("Actions agreed", "actions_agreed", ACTIONS)],
    },
    "halton_cin_minutes_caf": {
        "title": "Final CIN meeting minutes (CAF)", "council": "halton",
        "producers": [("halton_step_down", "sw_cin_minutes_caf", "halton_cin_minutes_caf")],
        "upstream": {"cin_outcome": "halton_final_cin_meeting", "meeting_held_on": "halton_final_cin_meeting",
                     "attendees": "halton_final_cin_meeting"},
        "sections": [("Meeting", [("Date held", "meeting_held_on")]),
                     ("Decision", [("Outcome of the final CIN meeting", "cin_outcome")]),
                     ("Minutes", [("Minutes of the final CIN meeting", "cin_minutes")]),
                     ("Plan (the CAF delivery plan)", [("Plan", "cin_plan"),
                                                       ("Indications for stepping back up to CSC", "step_up_indicators"),
                                                       ("Forwarded to the locality EI team on", "forwarded_to_ei_on")])],
        "tables": [("Attendees", "attendees", [("Attendee", None)])],
    },
    "ns_step_down_meeting_notes": {
        "title": "Step-down meeting notes and plan", "council": "north_somerset",
        "producers": [("north_somerset_step_down", "record_meeting", "ns_record_meeting")],
        "upstream": {"tm_decision": "ns_tm_agree_step_down", "tm_rationale": "ns_tm_agree_step_down"},
        "sections": [("Decision", [("Team manager's decision", "tm_decision"), ("Rationale", "tm_rationale")]),
                     ("Meeting", [("Date held", "meeting_held_on"), ("FWB support leader", "support_leader_name"),
                                  ("Family support worker", "fsw_name"), ("Meeting notes", "meeting_notes")]),
                     ("Plans", [("Step-down plan", "step_down_plan"), ("Family plan", "family_plan")])],
        "tables": [("Attendees", "attendees", [("Attendee", None)]), ("Actions", "actions", ACTIONS)],
    },
    "ns_step_up_request": {
        "title": "Step-Up request form", "council": "north_somerset",
        "producers": [("north_somerset_step_up", "complete_step_up_request", "ns_step_up_request")],
        "sections": [("Request", [("Date completed", "request_completed_on"),
                                  ("New or increased concerns", "new_concerns"),
                                  ("Intensive family support given so far", "work_done_so_far"),
                                  ("The child or children's views", "children_views")]),
                     ("Decision", [("Has the family had a social worker before?", "previous_sw"),
                                   ("Previous social worker", "previous_sw_name"),
                                   ("Their involvement ended on", "last_sw_involvement_end")])],
    },
    "ns_closing_plan": {
        "title": "Closing plan: step-down to universal services", "council": "north_somerset",
        "producers": [("north_somerset_step_down_universal", "closing_plan", "ns_closing_plan")],
        "sections": [("Decision", [("Stepping down from", "stepping_down_from"),
                                   ("Does the family wish to use these services?", "family_wish_to_engage")]),
                     ("Closing plan", [("Discussed with the family on", "closing_plan_discussed_on"),
                                       ("Closing plan", "closing_plan"),
                                       ("Universal services highlighted", "universal_services_highlighted"),
                                       ("Family Hub or Children's Centre", "family_hub")])],
    },
    "shropshire_sf_consent": {
        "title": "Strengthening Families consent", "council": "shropshire",
        "producers": [("shropshire_step_down", "sw_sf_consent", "shropshire_sw_sf_consent")],
        "sections": [("Decision", [("Consent", "consent"), ("Decided by", "consent_decided_by"), ("Date", "consent_date"),
                                   ("Notes", "consent_notes")]),
                     ("Signed form", [("Signed by a parent/carer in the household", "signed_by_parent_in_household"),
                                      ("Signed on both sides, boxes ticked", "signed_both_sides_boxes_ticked"),
                                      ("Saved on carestore at", "carestore_location")])],
    },
    "shropshire_closure_summary": {
        "title": "Closure summary", "council": "shropshire",
        "producers": [("shropshire_step_down", "sw_closure_summary", "shropshire_sw_closure_summary")],
        "upstream": {"tm_decision": "shropshire_tm_agree_step_down"},
        "sections": [("Decision", [("Team manager's decision on the step-down", "tm_decision")]),
                     ("Summary", [("Summary of the social work involvement", "closure_summary"),
                                  ("Contingency for a step-up should risk increase", "step_up_contingency"),
                                  ("Date completed", "closure_summary_on")])],
        "tables": [("Professionals involved", "professionals_involved",
                    [("Name", "name"), ("Role", "role"), ("Agency", "agency")])],
    },
    "shropshire_appendix_a": {
        "title": "Appendix A: step-down meeting record", "council": "shropshire",
        "producers": [("shropshire_step_down", "weekly_step_down_meeting", "shropshire_appendix_a"),
                      ("shropshire_step_down", "monthly_step_down_meeting", "shropshire_appendix_a_monthly"),
                      ("shropshire_step_down", "sw_appendix_a_with_lp", "shropshire_appendix_a_with_lp")],
        "upstream": {"tm_decision": "shropshire_tm_agree_step_down"},
        "sections": [("Decision", [("Team manager's decision on the step-down", "tm_decision"),
                                   ("Agreed role of the Targeted EH service", "targeted_eh_role")]),
                     ("Meeting", [("Date of the step-down meeting", "meeting_held_on"),
                                  ("Discussed with the LP on", "discussed_with_lp_on")]),
                     ("Checklist", [("Consent gained and family engaged", "appx_consent_and_engagement"),
                                    ("Risks and needs that required social work intervention", "appx_risks_and_needs"),
                                    ("Work done to reduce risk", "appx_work_done"),
                                    ("Current protective factors", "appx_protective_factors"),
                                    ("Why the case is stepping down now", "appx_why_now"),
                                    ("Outcomes still to achieve through Early Help", "appx_outcomes_remaining"),
                                    ("Strengthening Families criteria", "appx_sf_criteria"),
                                    ("Early warning signs", "appx_early_warning_signs"),
                                    ("Actions if risk increases", "appx_actions_if_risk_increases"),
                                    ("Most recent information provided", "appx_information_provided"),
                                    ("Closure summary fully completed", "appx_closure_summary_completed")])],
        "tables": [("Attendees", "meeting_attendees", [("Attendee", None)])],
    },
    "shropshire_whole_family_action_plan": {
        "title": "EH Whole Family Action Plan", "council": "shropshire",
        "producers": [("shropshire_step_down", "first_ehpm", "shropshire_first_ehpm"),
                      ("shropshire_step_down", "lp_action_plan_at_review", "shropshire_lp_action_plan_at_review")],
        "upstream": {"tm_decision": "shropshire_tm_agree_step_down"},
        "sections": [("Decision", [("Team manager's decision on the step-down", "tm_decision")]),
                     ("Early Help Partnership Meeting", [("Date of the EHPM", "ehpm_held_on"),
                                                         ("Next EHPM", "next_ehpm_date")]),
                     ("Plan", [("Whole Family Action Plan", "whole_family_action_plan"),
                               ("Contingency plan", "ehpm_contingency_plan")])],
        "tables": [("Attendees", "ehpm_attendees", [("Attendee", None)]), ("Actions", "actions", ACTIONS)],
    },
    "swindon_transfer_spreadsheet": {
        "title": "Transfer spreadsheet entry (Tuesday transfer meeting)", "council": "swindon",
        "producers": [("swindon_step_down", "complete_spreadsheet", "swindon_complete_spreadsheet")],
        "upstream": {"tm_decision": "swindon_tm_agree", "tm_rationale": "swindon_tm_agree"},
        "sections": [("Decision", [("Line manager's decision", "tm_decision"), ("Rationale", "tm_rationale"),
                                   ("Proposed plan", "proposed_plan")]),
                     ("Transfer spreadsheet", [("Locality where the child lives", "child_locality"),
                                               ("School or early years setting", "school_or_setting"),
                                               ("Reason for step-down", "reason_for_step_down"),
                                               ("Other agencies involved", "agencies_involved"),
                                               ("Risks and what would mean stepping back up", "risks_and_contingency"),
                                               ("Date the spreadsheet was updated", "spreadsheet_updated_on")])],
    },
    "swindon_locality_panel_agenda": {
        "title": "Early Intervention locality panel agenda entry", "council": "swindon",
        "producers": [("swindon_step_down", "add_to_panel_agenda", "swindon_add_to_panel_agenda")],
        "upstream": {"transfer_decision": "swindon_transfer_meeting"},
        "sections": [("Decision", [("Transfer meeting decision", "transfer_decision")]),
                     ("Panel", [("Locality panel", "panel_locality"), ("Date of the next panel", "next_panel_on"),
                                ("Summary for the agenda", "agenda_summary")])],
    },
    "swindon_closure_record": {
        "title": "Closure record", "council": "swindon",
        "producers": [("swindon_step_down", "closure_record", "swindon_closure_record")],
        "upstream": {"transfer_decision": "swindon_transfer_meeting"},
        "sections": [("Decision", [("Transfer meeting decision", "transfer_decision"),
                                   ("Reason for closure of case", "reason_for_closure")]),
                     ("Lead service / professional", [("School type", "school_type"), ("School", "school_name"),
                                                      ("SBC service", "sbc_service")]),
                     ("Closure", [("Closure summary", "closure_summary"), ("Date of closure", "closed_on")])],
    },
    "swindon_request_for_help": {
        "title": "Request for Help and Support", "council": "swindon",
        "producers": [("swindon_step_up", "request_for_help", "swindon_request_for_help")],
        "sections": [("Decision", [("Level of need (Right Help at the Right Time)", "rhrt_level")]),
                     ("Needs", [("The child's needs and the risks", "needs_and_risks"),
                                ("Support already given by early intervention", "work_done_so_far"),
                                ("The child's views", "child_views")]),
                     ("Early Help Assessment", [("EHA and TAF plan completed", "eha_completed"),
                                                ("Up-to-date EHA and TAF plan attached", "eha_and_taf_attached"),
                                                ("Sent to Contact Swindon on", "request_sent_on")])],
    },
    "warwickshire_exit_plan": {
        "title": "Exit plan", "council": "warwickshire",
        "producers": [("warwickshire_step_down", "develop_exit_plan", "ww_develop_exit_plan")],
        "upstream": {"tm_decision": "ww_tm_agree_step_down", "route": "ww_tm_agree_step_down"},
        "sections": [("Decision", [("Team manager's decision", "tm_decision"), ("Route", "route")]),
                     ("Exit plan", [("Developed with", "exit_plan_developed_with"), ("Exit plan", "exit_plan"),
                                    ("Community-based support", "community_services"),
                                    ("Shared with the family on", "exit_plan_shared_with_family_on"),
                                    ("Shared with the referrer", "exit_plan_shared_with_referrer")])],
    },
    "warwickshire_locality_panel_referral": {
        "title": "Locality panel referral", "council": "warwickshire",
        "producers": [("warwickshire_step_down", "refer_to_locality_panel", "ww_refer_to_locality_panel_sd"),
                      ("warwickshire_step_up", "refer_to_locality_panel", "ww_refer_to_locality_panel")],
        "sections": [("Decision", [("Locality panel", "locality")]),
                     ("Referral", [("Why a multi-agency approach is needed", "panel_referral_reason"),
                                   ("Referral sent on", "panel_referral_sent_on")])],
    },
    "warwickshire_marf": {
        "title": "Multi-Agency Request Form (MARF)", "council": "warwickshire",
        "producers": [("warwickshire_step_up", "submit_marf", "ww_submit_marf")],
        "sections": [("Referrer", [("Name", "referrer_name"), ("Agency / service", "referrer_agency"),
                                   ("Phone or secure email", "referrer_contact")]),
                     ("The child as referred", [("Child's name", "child_name"), ("Date of birth", "child_date_of_birth"),
                                                ("Where the child lives", "child_address")]),
                     ("Decision", [("The concern is", "concern_type")]),
                     ("Concern", [("What you are worried about", "concern_details"), ("The child's voice", "child_views"),
                                  ("Support already in place", "support_so_far")]),
                     ("Consent", [("Consent", "referral_consent"), ("Decided by", "referral_consent_decided_by"),
                                  ("Date", "referral_consent_date"), ("Notes", "referral_consent_notes")])],
    },
}

NAVY = RGBColor(0x0B, 0x0C, 0x0C)


def _loop_table(doc, columns: list[tuple[str, str | None]], items: str, var: str, heading_row: bool = True):
    """A table whose middle row repeats once per item (docxtpl `{%tr %}` rows are removed)."""
    table = doc.add_table(rows=4, cols=len(columns))
    table.style = "Table Grid"
    for index, (label, _key) in enumerate(columns):
        cell = table.rows[0].cells[index]
        cell.text = label
        cell.paragraphs[0].runs[0].bold = True
    table.rows[1].cells[0].text = f"{{%tr for {var} in {items} %}}"
    for index, (_label, key) in enumerate(columns):
        table.rows[2].cells[index].text = f"{{{{ {var}.{key} }}}}" if key else f"{{{{ {var} }}}}"
    table.rows[3].cells[0].text = "{%tr endfor %}"
    return table


def _label_value(doc, label: str, field: str) -> None:
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(label + ": ")
    run.bold = True
    paragraph.add_run(f"{{{{ {field} }}}}")


def build_one(doc_id: str, spec: dict) -> Path:
    council = COUNCILS[spec["council"]]
    doc = Document()
    doc.core_properties.title = spec["title"]
    doc.core_properties.author = council
    doc.core_properties.created = datetime(2026, 1, 1, tzinfo=timezone.utc)
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)

    section = doc.sections[0]
    header = section.header.paragraphs[0]
    header.text = f"{council} · Children's Services"
    header.runs[0].bold = True
    line = section.header.add_paragraph(spec["title"])
    line.alignment = WD_ALIGN_PARAGRAPH.LEFT
    footer = section.footer.paragraphs[0]
    footer.text = ("OFFICIAL-SENSITIVE · Generated by Stepwise on {{ generated_on }} · "
                   "{{ document_id }} version {{ version }}")

    doc.add_heading(spec["title"], level=0)
    _label_value(doc, "Case reference", "case_reference")
    _label_value(doc, "Council", "council_name")

    doc.add_heading("Child and family details", level=1)
    _loop_table(doc, [("Name", "name"), ("Date of birth", "date_of_birth"), ("Role", "role"),
                      ("Relationship to child", "relationship_to_child")], "people", "p")
    _label_value(doc, "Address", "address")
    _label_value(doc, "Locality", "locality")

    for heading, rows in spec["sections"]:
        doc.add_heading(heading, level=1)
        for label, field in rows:
            _label_value(doc, label, field)

    for heading, items, columns in spec.get("tables", []):
        doc.add_heading(heading, level=1)
        _loop_table(doc, columns, items, "row")

    doc.add_heading("Sign-off", level=1)
    _label_value(doc, "Completed by", "completed_by")
    _label_value(doc, "Task", "task_name")
    _label_value(doc, "Date", "completed_on")
    doc.add_paragraph("Signature: ____________________________")
    doc.add_paragraph("Manager's name: _______________________    Signature: ____________________    Date: __________")

    prune_styles(doc)
    drop_unneeded_parts(doc)
    path = HERE / f"{doc_id}.docx"
    doc.save(path)
    return path


def catalogue_entry(doc_id: str, spec: dict, path: Path) -> dict:
    fields = sorted(DocxTemplate(str(path)).get_undeclared_template_variables())
    return {
        "id": doc_id,
        "title": spec["title"],
        "council": spec["council"],
        "file": path.name,
        "producers": [{"process": p, "task": t, "form": f} for p, t, f in spec["producers"]],
        # the first producer, for readers that want one
        "process": spec["producers"][0][0],
        "task": spec["producers"][0][1],
        "fields": fields,
        "upstream": dict(sorted(spec.get("upstream", {}).items())),
    }


def main() -> int:
    entries = []
    for doc_id, spec in sorted(SPECS.items()):
        path = build_one(doc_id, spec)
        entries.append(catalogue_entry(doc_id, spec, path))
        print(f"wrote {path.relative_to(ROOT)}")
    (HERE / "catalogue.json").write_text(json.dumps({"documents": entries}, indent=2) + "\n")
    print(f"wrote {(HERE / 'catalogue.json').relative_to(ROOT)} ({len(entries)} documents)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
