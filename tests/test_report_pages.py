"""The reports page (issue 8) through Flask's test client on the known history of
tests/test_reports.py: every figure in every table equals the hand-computed values there, the
charts carry the figures of their tables, filters change the figures, bad filters are refused
with clear errors and export nothing, only managers and admins see the page, and each CSV
download is audited as the command line's export is."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import lxml.html
import pytest
from sqlalchemy import func, select

from engine.store import models
from engine.tasklist import accounts, create_app

from test_reports import CENSUS_2027, HALTON_UP, NS, WW, history  # noqa: F401 (history is a fixture)

PASSWORD = "correct horse battery"
YEAR_2027 = "from-day=1&from-month=1&from-year=2027&to-day=31&to-month=12&to-year=2027"
TWO_YEARS = "from-day=1&from-month=1&from-year=2027&to-day=31&to-month=12&to-year=2028"
MANAGERS = ("team_manager", "service_manager", "early_help_manager", "admin")


@pytest.fixture
def app(history):
    for role in MANAGERS + ("social_worker", "front_door"):
        accounts.save_user(history, f"u.{role}", role, [role], password=PASSWORD)
    return create_app({"DATABASE": history, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False})


def signed_in(app, username):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = lxml.html.fromstring(page).xpath("//input[@name='csrf_token']/@value")[0]
    assert client.post("/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


@pytest.fixture
def manager(app):
    return signed_in(app, "u.team_manager")


def table(html: str, table_id: str) -> list[list[str]]:
    """The body rows of a table, each cell's text."""
    [found] = lxml.html.fromstring(html).xpath(f"//table[@id='{table_id}']")
    return [[cell.text_content().strip() for cell in row.xpath("./th|./td")] for row in found.xpath("./tbody/tr")]


def cells(rows) -> list[list[str]]:
    """Expected report rows as the page writes them: None is a dash."""
    return [["–" if v is None else str(v) for v in row] for row in rows]


def get(client, path):
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


def audit_rows(db):
    with db.reader() as session:
        return list(session.scalars(select(models.AuditEvent).where(models.AuditEvent.action == "report.exported")
                                    .order_by(models.AuditEvent.id)))


# -- every figure ---------------------------------------------------------------------------------

STEPS_TWO_YEARS = [  # test_step_ups_and_step_downs_per_month_by_route_and_outcome
    ("2027-01", "step_down", NS, "end_stepped_down", 2),
    ("2027-02", "step_down", NS, "end_consent_refused", 1),
    ("2027-02", "step_down", NS, "end_signposted", 2),
    ("2027-02", "step_down", NS, "end_universal", 1),
    ("2027-02", "step_up", HALTON_UP, "open", 1),
    ("2027-03", "step_down", NS, "incident", 1),
    ("2027-03", "step_down", NS, "open", 1),
    ("2027-03", "step_down", "universal", "open", 1),
    ("2027-03", "step_up", HALTON_UP, "end_stepped_up", 1),
    ("2027-04", "step_down", NS, "open", 1),
    ("2027-07", "step_up", HALTON_UP, "open", 1),
    ("2027-08", "step_up", HALTON_UP, "open", 1),
    ("2028-02", "step_up", HALTON_UP, "open", 1),
    ("2028-03", "step_up", HALTON_UP, "open", 1),
]
# Per month of 2027-2028 (every month shown): (step-ups, step-downs), summed by hand from above.
BY_MONTH = {"2027-01": (0, 2), "2027-02": (1, 4), "2027-03": (1, 3), "2027-04": (0, 1), "2027-07": (1, 0),
            "2027-08": (1, 0), "2028-02": (1, 0), "2028-03": (1, 0)}


def test_steps_page_tables_and_chart_hold_the_fixture_figures(manager):
    status, html = get(manager, f"/reports/steps?{TWO_YEARS}")
    assert status == 200
    assert table(html, "table-steps") == cells(STEPS_TWO_YEARS)
    months = [f"{y}-{m:02d}" for y in (2027, 2028) for m in range(1, 13)]
    expected = [[m, *map(str, BY_MONTH.get(m, (0, 0)))] for m in months]
    assert table(html, "table-steps-by-month") == expected
    # The chart: one bar per month and series, each bar's figure that of the table; the SVG is
    # named by its title and described by the table.
    doc = lxml.html.fromstring(html)
    [svg] = doc.xpath("//figure//svg[@id='chart-steps']")
    assert svg.get("role") == "img" and svg.get("aria-describedby") == "table-steps-by-month"
    assert doc.xpath(f"//*[@id='{svg.get('aria-labelledby')}']")[0].text_content() == "Step-ups and step-downs started per month"
    bars = {(b.get("data-series"), b.get("data-month")): b.get("data-value") for b in svg.xpath(".//rect[@data-value]")}
    assert len(bars) == 2 * len(months)
    assert [[m, bars[("Step-ups", m)], bars[("Step-downs", m)]] for m in months] == expected
    heights = {key: float(b.get("height")) for b in svg.xpath(".//rect[@data-value]")
               for key in [(b.get("data-series"), b.get("data-month"))]}
    assert heights[("Step-downs", "2027-02")] == 2 * heights[("Step-downs", "2027-01")] > 0  # 4 against 2
    assert heights[("Step-ups", "2027-01")] == 0


def test_every_other_report_page_holds_the_fixture_figures(manager):
    now_days = {"2027-03-10": 361, "2027-03-16": 355}  # to "now", 2028-03-05
    expected = {
        "re_referrals": [("2027-01", 2, 1, 2), ("2027-02", 2, 1, 2), ("2027-03", 1, 0, 0)],
        "tray": [(NS, "2027-01", 2, 2, 10.5, 10.5, 11, 0, None), (NS, "2027-02", 4, 0, None, None, None, 0, None),
                 (NS, "2027-03", 1, 0, None, None, None, 1, now_days["2027-03-10"]),
                 (WW, "2027-03", 1, 0, None, None, None, 1, now_days["2027-03-16"])],
        "overdue": [("north", "front_door", 1, "2027-03-11T17:00:00+00:00", 360),
                    ("south", "front_door", 1, "2027-04-03T16:00:00+00:00", 337)],
        "signoffs": [("team_manager", NS, "tm_agree_step_down", "Agree step-down suits the level of need", 2,
                      "2027-03-01T09:30:00+00:00", 370)],
        "consent": [("step_down", NS, "given", 5), ("step_down", NS, "not sought (risk)", 1), ("step_down", NS, "refused", 1),
                    ("step_down", WW, "given", 1), ("step_up", HALTON_UP, "given", 1)],
        "incidents": [(NS, "wait_for_slot", 1, "2027-03-11T09:00:00+00:00", 360, 1)],
    }
    for name, rows in expected.items():
        period = YEAR_2027 if name != "re_referrals" else "from-day=1&from-month=1&from-year=2027&to-day=31&to-month=3&to-year=2027"
        status, html = get(manager, f"/reports/{name}?{period}")
        assert status == 200, name
        assert table(html, f"table-{name}") == cells(rows), name
    # The re-referral chart: every month of the period, the report's figures.
    _, html = get(manager, "/reports/re_referrals?from-day=1&from-month=1&from-year=2027&to-day=31&to-month=3&to-year=2027")
    [svg] = lxml.html.fromstring(html).xpath("//svg[@id='chart-re-referrals']")
    assert svg.get("aria-describedby") == "table-re_referrals"
    bars = [(b.get("data-month"), b.get("data-series"), int(b.get("data-value"))) for b in svg.xpath(".//rect[@data-value]")]
    assert bars == [("2027-01", "Stepped down or closed", 2), ("2027-01", "Within 6 months", 1), ("2027-01", "Within 12 months", 2),
                    ("2027-02", "Stepped down or closed", 2), ("2027-02", "Within 6 months", 1), ("2027-02", "Within 12 months", 2),
                    ("2027-03", "Stepped down or closed", 1), ("2027-03", "Within 6 months", 0), ("2027-03", "Within 12 months", 0)]


def test_filters_change_the_figures(manager):
    _, html = get(manager, f"/reports/steps?{TWO_YEARS}&council=north_somerset&team=south")
    assert table(html, "table-steps") == cells([
        ("2027-01", "step_down", NS, "end_stepped_down", 1), ("2027-02", "step_down", NS, "end_consent_refused", 1),
        ("2027-02", "step_down", NS, "end_signposted", 1), ("2027-03", "step_up", HALTON_UP, "end_stepped_up", 1),
        ("2027-04", "step_down", NS, "open", 1), ("2027-08", "step_up", HALTON_UP, "open", 1)])
    _, html = get(manager, "/reports/steps?from-day=1&from-month=3&from-year=2027&to-day=31&to-month=3&to-year=2027"
                           "&council=warwickshire")
    assert table(html, "table-steps") == cells([("2027-03", "step_down", "universal", "open", 1)])
    assert table(html, "table-steps-by-month") == [["2027-03", "0", "1"]]
    doc = lxml.html.fromstring(html)
    assert doc.xpath("//select[@id='council']/option[@selected]/@value") == ["warwickshire"]
    assert doc.xpath("//input[@id='from-month']/@value") == ["3"]
    _, html = get(manager, "/reports/re_referrals?from-day=1&from-month=1&from-year=2027&to-day=31&to-month=3&to-year=2027"
                           "&team=south")
    assert table(html, "table-re_referrals") == cells([("2027-01", 1, 0, 1), ("2027-02", 1, 1, 1)])
    _, html = get(manager, "/reports/signoffs?from-day=2&from-month=3&from-year=2027&to-day=31&to-month=12&to-year=2027&team=north")
    assert "Nothing to report" in html and not lxml.html.fromstring(html).xpath("//table[@id='table-signoffs']")
    # Links to the other reports and the downloads keep the filters.
    assert "/reports/tray?" in html and "team=north" in html.split("/reports/tray?")[1].split('"')[0]


def test_the_default_period_is_the_last_twelve_months(manager, clock):
    clock.set("2027-03-20T12:00:00+00:00")
    status, html = get(manager, "/reports/steps")
    assert status == 200
    doc = lxml.html.fromstring(html)
    values = {i: doc.xpath(f"//input[@id='{i}']/@value")[0] for i in ("from-day", "from-month", "from-year", "to-day", "to-month", "to-year")}
    assert values == {"from-day": "1", "from-month": "4", "from-year": "2026", "to-day": "20", "to-month": "3", "to-year": "2027"}
    assert table(html, "table-steps-by-month")[-1] == ["2027-03", "1", "3"]
    assert manager.get("/reports/").headers["Location"].endswith("/reports/steps")


BAD_FILTERS = [
    ("from-day=31&from-month=2&from-year=2027", "from-day", "From date must be a real date"),
    ("from-day=1&from-year=2027", "from-month", "From date must include a month"),
    ("to-day=x&to-month=1&to-year=2027", "to-day", "To date must be a real date"),
    ("from-day=2&from-month=1&from-year=2027&to-day=1&to-month=1&to-year=2027", "to-day",
     "To date must be the same as or after the from date"),
    ("from-day=1&from-month=1&from-year=0001", "to-day", "The period can be at most 10 years"),
    ("council=atlantis", "council", "Choose a council from the list"),
    ("team=nowhere", "team", "Choose a team from the list"),
]


def test_bad_filters_are_refused_with_a_clear_error_and_export_nothing(manager, history):
    for query, field, message in BAD_FILTERS:
        status, html = get(manager, f"/reports/steps?{query}")
        assert status == 400, query
        doc = lxml.html.fromstring(html)
        summary = doc.xpath("//div[contains(@class, 'govuk-error-summary')]//a")
        assert [a.get("href") for a in summary] == [f"#{field}"], query
        assert message in summary[0].text_content() and doc.xpath(f"//*[@id='{field}']"), query
        assert message in doc.xpath("//p[contains(@class, 'govuk-error-message')]")[0].text_content(), query
        assert doc.xpath("//title")[0].text_content().startswith("Error:")
        assert not doc.xpath("//table")  # no figures for a period that is not one
        status, _ = get(manager, f"/reports/download/census.csv?{query}")
        assert status == 400, query
    assert audit_rows(history) == []


def test_only_managers_and_admins_see_the_reports(app):
    for role in MANAGERS:
        client = signed_in(app, f"u.{role}")
        status, html = get(client, f"/reports/consent?{YEAR_2027}")
        assert status == 200, role
        assert lxml.html.fromstring(html).xpath("//nav//a[@href='/reports/']"), role
    for role in ("social_worker", "front_door"):
        client = signed_in(app, f"u.{role}")
        for path in ("/reports/", f"/reports/steps?{YEAR_2027}", f"/reports/download/census.csv?{YEAR_2027}",
                     "/reports/download/steps.csv"):
            assert client.get(path).status_code == 404, (role, path)
        _, html = get(client, "/")
        assert not lxml.html.fromstring(html).xpath("//a[starts-with(@href, '/reports')]"), role
    anonymous = app.test_client().get("/reports/steps")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]


def test_unknown_reports_are_not_found(manager):
    assert manager.get("/reports/census").status_code == 404  # a download only
    assert manager.get("/reports/nothing").status_code == 404
    assert manager.get("/reports/download/nothing.csv").status_code == 404


# -- downloads ------------------------------------------------------------------------------------

def test_census_download_is_the_extract_and_is_audited_as_the_cli_export(manager, history):
    response = manager.get(f"/reports/download/census.csv?{YEAR_2027}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="census-2027-01-01-to-2027-12-31.csv"'
    header, *rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header[:4] == ["case_reference", "council", "locality", "referral_date"]
    assert rows == [["" if v is None else v for v in row] for row in CENSUS_2027]
    [audit] = audit_rows(history)
    assert audit.actor == "u.team_manager" and audit.at == datetime(2028, 3, 5, 12, tzinfo=timezone.utc)
    assert audit.details == {"report": "census", "rows": 8, "file": "census-2027-01-01-to-2027-12-31.csv",
                             "from": "2027-01-01", "to": "2027-12-31", "council": None, "team": None}


def test_each_report_downloads_as_csv_with_its_figures_and_an_audit_row(app, history):
    client = signed_in(app, "u.service_manager")
    query = "from-day=1&from-month=1&from-year=2027&to-day=31&to-month=3&to-year=2027&team=south"
    for name in ("steps", "re_referrals", "tray", "overdue", "signoffs", "consent", "incidents"):
        response = client.get(f"/reports/download/{name}.csv?{query}")
        assert response.status_code == 200, name
        header, *rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        _, html = get(client, f"/reports/{name}?{query}")
        on_page = table(html, f"table-{name}") if lxml.html.fromstring(html).xpath(f"//table[@id='table-{name}']") else []
        assert [["–" if v == "" else v for v in row] for row in rows] == on_page, name
    found = audit_rows(history)
    assert [a.details["report"] for a in found] == ["steps", "re_referrals", "tray", "overdue", "signoffs", "consent", "incidents"]
    assert found[1].details == {"report": "re_referrals", "rows": 2, "file": "re_referrals-2027-01-01-to-2027-03-31-south.csv",
                                "from": "2027-01-01", "to": "2027-03-31", "council": None, "team": "south"}
    assert {a.actor for a in found} == {"u.service_manager"}
    # Looking at the page is not an export.
    with history.reader() as session:
        assert session.scalar(select(func.count()).select_from(models.AuditEvent)
                              .where(models.AuditEvent.action == "report.exported")) == 7
