"""What the report page and its exports show. Every number is rounded once, here, into a ``Cell``;
the page formats cells for the locale, the XLSX writes them as numbers with a number format and the
CSV as plain numbers, so the three cannot drift apart."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_skeleton
from flask import current_app
from flask_babel import format_date, format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..facilities.models import KINDS
from ..web import WEEKDAY_NAMES
from . import engine
from .query import Period

# Kinds of cell: how a value is rounded, shown and exported.
TEXT, PERCENT, SIGNED_PERCENT, POINTS, HOURS, DECIMAL, COUNT, MONEY, INDEX, SIGNED_INDEX, COEF, SIGNED_COEF = (
    "text", "percent", "signed_percent", "points", "hours", "decimal", "count", "money", "index", "signed_index",
    "coef", "signed_coef")
CENT = Decimal("0.01")
DASH = "—"
PATTERNS = {PERCENT: "#,##0.0%", SIGNED_PERCENT: "+#,##0.0%;-#,##0.0%", HOURS: "#,##0.0", DECIMAL: "#,##0.0",
            COUNT: "#,##0",
            INDEX: "#,##0", SIGNED_INDEX: "+#,##0;-#,##0", COEF: "0.000", SIGNED_COEF: "+0.000;-0.000"}
CHART_LIMIT = 30   # bars in a chart; the tables list every row


def rounded(value, kind: str):
    if value is None or kind == TEXT:
        return value
    if kind == MONEY:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    if kind in (COUNT, INDEX, SIGNED_INDEX):
        return round(value)
    digits = 1 if kind in (HOURS, DECIMAL) else 3
    return round(float(value), digits) + 0.0  # + 0.0: no "-0.0"


@dataclass(frozen=True)
class Cell:
    value: object = None
    kind: str = TEXT

    @property
    def text(self) -> str:
        """The value as the page shows it, in the current locale; "—" where a ratio has no denominator."""
        value, kind = self.value, self.kind
        if value is None:
            return DASH
        if kind == TEXT:
            return str(value)
        if kind == MONEY:
            return current_app.jinja_env.filters["money"](value)
        if kind == POINTS:
            return _("%(points)s pp", points=format_decimal(value * 100, "+#,##0.0;-#,##0.0"))
        if kind in (PERCENT, SIGNED_PERCENT):
            return format_percent(value, PATTERNS[kind])
        return format_decimal(value, PATTERNS[kind])

    @property
    def plain(self) -> str:
        """The value for CSV: no grouping, no symbol, percentages in points; empty where there is none."""
        value, kind = self.value, self.kind
        if value is None:
            return ""
        if kind in (PERCENT, SIGNED_PERCENT, POINTS):
            return f"{value * 100:.1f}"
        if kind in (HOURS, DECIMAL):
            return f"{value:.1f}"
        if kind == MONEY:
            return f"{value:.2f}"
        if kind in (COEF, SIGNED_COEF):
            return f"{value:.3f}"
        return str(value)

    @property
    def data(self):
        """The rounded value for data attributes and charts (percentages in points)."""
        if self.value is None or self.kind == TEXT:
            return None
        if self.kind in (PERCENT, SIGNED_PERCENT, POINTS):
            return round(self.value * 100, 1)
        return float(self.value)


def cell(value, kind: str) -> Cell:
    return Cell(rounded(value, kind), kind)


def change(current: Cell, previous: Cell, exact: tuple | None = None) -> Cell:
    """From the previous period to this one: ratios in percentage points and indices as a difference,
    both of the rounded values shown; everything else relative to the previous value, from the exact
    values where given (0.26 → 0.11 is +136 %, not 0.3 → 0.1 = +200 %)."""
    now, before = current.value, previous.value
    if now is None or before is None:
        return Cell(None, POINTS)
    if current.kind in (PERCENT, SIGNED_PERCENT):
        return cell(now - before, POINTS)
    if current.kind == INDEX:
        return cell(now - before, SIGNED_INDEX)
    if current.kind == COEF:
        return cell(now - before, SIGNED_COEF)
    if exact is not None:
        now, before = exact
    return cell(float(now - before) / float(before) if before else None, SIGNED_PERCENT)


# --- periods -----------------------------------------------------------------------------------------

def period_label(period: Period, kind: str) -> str:
    locale = get_locale()
    if kind == "month":
        return format_skeleton("yMMMM", period.start, locale=locale)
    if kind == "quarter" and period.start.month % 3 == 1:
        return format_skeleton("yQQQ", period.start, locale=locale)
    if kind == "year":
        return format_skeleton("y", period.start, locale=locale)
    last = date.fromordinal(period.end.toordinal() - 1)
    return f"{format_date(period.start, 'medium')} – {format_date(last, 'medium')}"


def previous_kind(period: Period, kind: str) -> str:
    return kind if period.start.day == 1 and period.end.day == 1 else "range"


def period_slug(period: Period, kind: str) -> str:
    """For file names: 2026-11, 2026-Q4, 2026 or 2026-11-01_2026-11-30."""
    if kind == "month":
        return period.start.strftime("%Y-%m")
    if kind == "quarter":
        return f"{period.start.year}-Q{(period.start.month - 1) // 3 + 1}"
    if kind == "year":
        return str(period.start.year)
    return f"{period.start.isoformat()}_{date.fromordinal(period.end.toordinal() - 1).isoformat()}"


# --- KPI tiles ---------------------------------------------------------------------------------------

@dataclass
class Tile:
    key: str
    label: str
    kind: str
    now: object                 # exact values, this period and the previous one
    before: object
    better: str | None = None   # "up", "down" or None: which direction of change is good
    unit: str = ""

    @property
    def current(self) -> Cell:
        return cell(self.now, self.kind)

    @property
    def previous(self) -> Cell:
        return cell(self.before, self.kind)

    @property
    def change(self) -> Cell:
        return change(self.current, self.previous, (self.now, self.before))

    @property
    def trend(self) -> str:
        """good, bad or neutral, for colouring the change."""
        delta = self.change.value
        if not delta or not self.better:
            return "neutral"
        return "good" if (delta > 0) == (self.better == "up") else "bad"


def _lead(lead: tuple | None, index: int) -> float | None:
    return lead[index] if lead else None


def tiles(report: engine.Report, fair_now: engine.Fairness, fair_before: engine.Fairness) -> list[Tile]:
    now, before, hours = report.total, report.previous, _("h")
    specs = [
        ("booked_utilization", _("Booked utilization"), PERCENT, "up", "", lambda f: f.booked_utilization),
        ("actual_utilization", _("Actual utilization"), PERCENT, "up", "", lambda f: f.actual_utilization),
        ("show_up", _("Show-up efficiency"), PERCENT, "up", "", lambda f: f.show_up_efficiency),
        ("no_show", _("No-show rate"), PERCENT, "down", "", lambda f: f.no_show_rate),
        ("sessions", _("Sessions served"), COUNT, "up", "", lambda f: f.sessions),
        ("enterprises", _("Enterprises served"), COUNT, "up", "", lambda f: f.enterprises_served),
        ("sessions_week", _("Sessions per facility per week"), DECIMAL, "up", "",
         lambda f: f.sessions_per_facility_week),
        ("cost_shared", _("Cost at shared rates"), MONEY, None, "", lambda f: f.cost_shared),
        ("cost_reference", _("Cost at reference rates"), MONEY, None, "", lambda f: f.cost_reference),
        ("savings", _("Savings"), MONEY, "up", "", lambda f: f.savings),
        ("savings_rate", _("Savings rate"), PERCENT, "up", "", lambda f: f.savings_rate),
        ("uplift", _("Efficiency uplift"), SIGNED_PERCENT, "up", "", lambda f: f.uplift),
    ]
    found = [Tile(key, label, kind, get(now), get(before), better, unit)
             for key, label, kind, better, unit, get in specs]
    found[4:4] = [
        Tile("lead_median", _("Approval lead time, median"), HOURS, _lead(report.lead_total, 0),
             _lead(report.previous_lead, 0), "down", hours),
        Tile("lead_p90", _("Approval lead time, 90th percentile"), HOURS, _lead(report.lead_total, 1),
             _lead(report.previous_lead, 1), "down", hours),
    ]
    found += [
        Tile("hhi", _("Concentration (HHI)"), INDEX, fair_now.hhi, fair_before.hhi, "down"),
        Tile("gini", _("Inequality (Gini)"), COEF, fair_now.gini, fair_before.gini, "down"),
        Tile("fees", _("Fees (no-show, late cancellation)"), MONEY, now.fees, before.fees),
    ]
    return found


# --- the table per group ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str


COLUMNS = (
    ("available", _l("Available (h)"), HOURS, lambda f, lead: f.available_hours),
    ("booked", _l("Booked (h)"), HOURS, lambda f, lead: f.booked_hours),
    ("actual", _l("Actual (h)"), HOURS, lambda f, lead: f.actual_hours),
    ("booked_utilization", _l("Booked utilization"), PERCENT, lambda f, lead: f.booked_utilization),
    ("actual_utilization", _l("Actual utilization"), PERCENT, lambda f, lead: f.actual_utilization),
    ("show_up", _l("Show-up efficiency"), PERCENT, lambda f, lead: f.show_up_efficiency),
    ("no_show", _l("No-show rate"), PERCENT, lambda f, lead: f.no_show_rate),
    ("lead_median", _l("Lead time median (h)"), HOURS, lambda f, lead: _lead(lead, 0)),
    ("lead_p90", _l("Lead time P90 (h)"), HOURS, lambda f, lead: _lead(lead, 1)),
    ("sessions", _l("Sessions"), COUNT, lambda f, lead: f.sessions),
    ("cost_shared", _l("Shared cost (CNY)"), MONEY, lambda f, lead: f.cost_shared),
    ("cost_reference", _l("Reference cost (CNY)"), MONEY, lambda f, lead: f.cost_reference),
    ("savings", _l("Savings (CNY)"), MONEY, lambda f, lead: f.savings),
    ("savings_rate", _l("Savings rate"), PERCENT, lambda f, lead: f.savings_rate),
    ("uplift", _l("Efficiency uplift"), SIGNED_PERCENT, lambda f, lead: f.uplift),
)


@dataclass
class Row:
    key: object
    label: str
    cells: list[Cell]

    def __getitem__(self, key: str) -> Cell:
        return self.cells[[c[0] for c in COLUMNS].index(key)]


def columns() -> list[Column]:
    return [Column(key, str(label), kind) for key, label, kind, _get in COLUMNS]


def row(key, label: str, figures: engine.Figures, lead: tuple | None) -> Row:
    return Row(key, label, [cell(get(figures, lead), kind) for _key, _label, kind, get in COLUMNS])


GROUP_LABELS = {"facility": _l("Facility"), "enterprise": _l("Enterprise"), "kind": _l("Kind of facility"),
                "chain": _l("Chain"), "month": _l("Month")}
GROUP_TITLES = {"facility": _l("By facility"), "enterprise": _l("By enterprise"), "kind": _l("By kind of facility"),
                "chain": _l("By chain"), "month": _l("By month")}


def group_rows(report: engine.Report, enterprises: dict) -> list[Row]:
    facilities = {f.id: f for f in report.facilities}
    chains = {f.chain_id: f.chain for f in report.facilities}
    by = report.group_by
    if by == "facility":
        keys = [f.id for f in report.facilities if f.id in report.rows]
        label = lambda key: facilities[key].display_name
    elif by == "kind":
        keys = [k for k in KINDS if k in report.rows]
        label = lambda key: str(KINDS[key])
    elif by == "chain":
        keys = sorted(report.rows, key=lambda key: chains[key].display_name)
        label = lambda key: chains[key].display_name
    elif by == "enterprise":
        label = lambda key: enterprises[key].display_name if key in enterprises else f"#{key}"
        keys = sorted(report.rows, key=lambda key: (-report.rows[key].booked_s, label(key)))
    else:
        keys = sorted(report.rows)
        label = lambda key: format_skeleton("yMMM", date.fromisoformat(key + "-01"), locale=get_locale())
    return [row(key, label(key), report.rows[key], report.lead.get(key)) for key in keys]


# --- fairness --------------------------------------------------------------------------------------

@dataclass
class Fair:
    rows: list[tuple[str, Cell, Cell]]   # enterprise, hours, share
    total: Cell
    total_share: Cell
    hhi: Cell
    gini: Cell
    enterprises: int                     # counted in HHI and Gini, with or without hours
    own_only: bool


def fairness(fair: engine.Fairness, enterprises: dict, own: int | None) -> Fair:
    """Every enterprise of the chains in scope, most hours first; a member sees only their own row."""
    ids = [own] if own is not None else list(fair.hours)
    name = lambda key: enterprises[key].display_name if key in enterprises else f"#{key}"
    ids.sort(key=lambda key: (-fair.hours.get(key, 0.0), name(key)))
    rows = [(name(key), cell(max(fair.hours.get(key, 0.0), 0.0), HOURS), cell(fair.share(key), PERCENT))
            for key in ids]
    return Fair(rows, cell(fair.total_hours, HOURS), cell(1.0 if fair.total_hours else None, PERCENT),
                cell(fair.hhi, INDEX), cell(fair.gini, COEF),
                len(fair.hours), own is not None)


# --- the occupancy heatmap ---------------------------------------------------------------------------

@dataclass(frozen=True)
class HeatCell:
    share: Cell
    bucket: str           # "na" (nothing bookable) or 0..10: tenths of the share, 0 only for none
    booked: Cell
    available: Cell


@dataclass
class Heat:
    hours: list[int]
    rows: list[tuple[str, list[HeatCell]]]

    @property
    def empty(self) -> bool:
        return not self.hours


def bucket(share: Cell) -> str:
    if share.value is None:
        return "na"
    permille = round(share.value * 1000)
    return str(min(10, (permille + 99) // 100))


def heat(found: engine.Heatmap) -> Heat:
    """Weekday rows; hour columns from the first to the last hour anything is bookable or booked."""
    used = [h for h in range(24) if any(found.available_s[d][h] or found.booked_s[d][h] for d in range(7))]
    hours = list(range(used[0], used[-1] + 1)) if used else []
    rows = []
    for day in range(7):
        cells = []
        for hour in hours:
            share = cell(found.share(day, hour), PERCENT)
            cells.append(HeatCell(share, bucket(share), cell(found.booked_s[day][hour] / engine.HOUR, HOURS),
                                  cell(found.available_s[day][hour] / engine.HOUR, HOURS)))
        rows.append((str(WEEKDAY_NAMES[day]), cells))
    return Heat(hours, rows)


LEGEND = [("0", "0%")] + [(str(n), f"{10 * (n - 1)}–{10 * n}%") for n in range(1, 11)]


# --- the whole view ----------------------------------------------------------------------------------

@dataclass
class View:
    report: engine.Report
    title_period: str
    previous_period: str
    group_title: str
    group_label: str
    tiles: list[Tile]
    columns: list[Column]
    rows: list[Row]
    total: Row
    fair: Fair
    heat: Heat
    filters: list[tuple[str, str]] = field(default_factory=list)
    slug: str = ""
    running: bool = False   # the period has not ended yet

    def chart(self) -> dict:
        """Booked and actual utilization per group, in percent, for Chart.js (the table is its text)."""
        shown = self.rows
        if len(shown) > CHART_LIMIT:
            shown = sorted(shown, key=lambda r: -(r["booked"].value or 0))[:CHART_LIMIT]
        return {"labels": [r.label for r in shown], "unit": "%",
                "series": [{"label": _("Booked utilization"), "data": [r["booked_utilization"].data for r in shown]},
                           {"label": _("Actual utilization"), "data": [r["actual_utilization"].data for r in shown]}]}

    def fairness_chart(self) -> dict:
        shown = [r for r in self.fair.rows if r[1].value][:CHART_LIMIT]
        return {"labels": [r[0] for r in shown], "unit": _("h"),
                "series": [{"label": _("Booked hours"), "data": [r[1].data for r in shown]}]}

    chart_limit = CHART_LIMIT

    @property
    def chart_truncated(self) -> bool:
        return len(self.rows) > CHART_LIMIT


def build(report: engine.Report, period_kind: str, *, enterprises: dict, fair_now: engine.Fairness,
          fair_before: engine.Fairness, own: int | None = None, filters=None, today: date | None = None) -> View:
    """``fair_now``/``fair_before``: fairness over every enterprise (for a member too: HHI and Gini
    describe the chain; the member sees only their own row)."""
    total_label = _("Total")
    return View(
        report=report,
        title_period=period_label(report.period, period_kind),
        previous_period=period_label(report.period.previous(), previous_kind(report.period, period_kind)),
        group_title=str(GROUP_TITLES[report.group_by]),
        group_label=str(GROUP_LABELS[report.group_by]),
        tiles=tiles(report, fair_now, fair_before),
        columns=columns(),
        rows=group_rows(report, enterprises),
        total=row(None, total_label, report.total, report.lead_total),
        fair=fairness(fair_now, enterprises, own),
        heat=heat(report.heatmap),
        filters=list(filters or []),
        slug=period_slug(report.period, period_kind),
        running=today is not None and report.period.start <= today < report.period.end,
    )
