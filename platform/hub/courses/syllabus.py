"""Read a course syllabus written in Markdown: its header, grading policy and schedule table.

Pure parsing, no database: `parse_syllabus(text)` returns a `ParsedSyllabus` or raises
`SyllabusError` naming the line. `services.course_import_syllabus` writes it.

The schedule table is tab-separated (Week, Date, one column per meeting day, HW/Exam), with
the irregularities a hand-kept table has: a blank line inside it, a cell split over two lines,
HTML inside a cell, a last row without a week number ("Dec 18  Final Report Due at 5am").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

from . import policy

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


class SyllabusError(ValueError):
    def __init__(self, line: int | None, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class ParsedSession:
    line: int
    week: int
    starts_at: datetime
    ends_at: datetime
    topic: str
    kind: str  # Session.Kind value


@dataclass(frozen=True)
class ParsedAssignment:
    line: int
    slug: str
    title: str
    kind: str  # Assignment.Kind value
    component: str  # GradeComponent.Key value
    week: int | None
    due_at: datetime
    due_assumed: bool
    late_allowed: bool = True
    opens_at: datetime | None = None
    group_work: bool = False


@dataclass
class ParsedSyllabus:
    code: str
    title: str
    term: str
    year: int
    slug: str
    time_zone: str
    instructor_name: str = ""
    instructor_email: str = ""
    institution: str = ""
    credit_hours: int | None = None
    location: str = ""
    meeting_times: str = ""
    meeting_days: tuple[int, ...] = ()
    meeting_start: time | None = None
    meeting_end: time | None = None
    office_hours: str = ""
    office_location: str = ""
    weights: dict[str, Decimal] = field(default_factory=dict)
    late_window: timedelta = policy.LATE_WINDOW
    late_penalty: Decimal = policy.LATE_PENALTY
    regrade_window: timedelta = policy.REGRADE_WINDOW
    sessions: list[ParsedSession] = field(default_factory=list)
    assignments: list[ParsedAssignment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None


# --- small readers -------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?", re.I)


def clean_cell(cell: str) -> str:
    """Strip HTML tags and entities and collapse whitespace."""
    return " ".join(unescape(_TAG.sub("", cell)).split())


def parse_clock(text: str) -> time:
    m = _TIME.fullmatch(text.strip())
    if not m:
        raise ValueError(f"not a time of day: {text!r}")
    hour, minute, half = int(m[1]), int(m[2] or 0), m[3].lower()
    if not (1 <= hour <= 12 and minute < 60):
        raise ValueError(f"not a time of day: {text!r}")
    return time(hour % 12 + (12 if half == "p" else 0), minute)


def _month(word: str) -> int:
    key = word.strip(".").lower()[:3]
    if key not in MONTHS:
        raise ValueError(f"unknown month {word!r}")
    return MONTHS[key]


_DATE_RANGE = re.compile(
    r"^(?P<m1>[A-Za-z]+)\.?\s*(?P<d1>\d{1,2})\s*(?:-|–)\s*(?:(?P<m2>[A-Za-z]+)\.?\s*)?(?P<d2>\d{1,2})$"
)
_DATE_ONE = re.compile(r"^(?P<m1>[A-Za-z]+)\.?\s*(?P<d1>\d{1,2})$")


def parse_dates(text: str, year: int) -> tuple[date, date]:
    """'Aug 28 - Sept 1' -> (2023-08-28, 2023-09-01); 'Dec 18' -> (2023-12-18, 2023-12-18)."""
    text = clean_cell(text)
    m = _DATE_RANGE.match(text) or _DATE_ONE.match(text)
    if not m:
        raise ValueError(f"cannot read the date {text!r}")
    first = date(year, _month(m["m1"]), int(m["d1"]))
    groups = m.groupdict()
    if groups.get("d2"):
        last_month = _month(groups["m2"]) if groups.get("m2") else first.month
        last = date(year + (1 if last_month < first.month else 0), last_month, int(groups["d2"]))
    else:
        last = first
    if last < first:
        raise ValueError(f"the range {text!r} ends before it starts")
    return first, last


def slugify_code(code: str, term: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", code.lower()) + "-" + re.sub(r"[^a-z0-9]+", "", term.lower())


# --- the header -----------------------------------------------------------------------------

_FIELD = re.compile(r"^(?P<key>[A-Z][A-Za-z ]+):\s*(?P<value>.+?)\s*$")
_TITLE = re.compile(r"^#\s+(?P<code>[A-Z]{2,}\s*\d+[A-Z]?)\s*:\s*(?P<title>.+?)\s*$")
_WEIGHT = re.compile(r"\*{0,3}(?P<label>[A-Za-z][A-Za-z\- ]+?)\s*\((?P<pct>\d+(?:\.\d+)?)\s*%\)")
_LATE = re.compile(r"up to\W+(?P<hours>\d+)\s*hours after the assignment deadline with a\s*(?P<pct>\d+)\s*%\s*penalty", re.I)
_REGRADE = re.compile(r"no later than\W+(?P<n>\d+)\s*(?P<unit>weeks?|days?)\s+after", re.I)

_COMPONENT_WORDS = {
    "homework": "homework",
    "mid-term": "midterm",
    "midterm": "midterm",
    "paper discussion": "paper_discussion",
    "final project": "final_project",
}


def _component_of(label: str) -> str | None:
    low = label.lower()
    for word, key in _COMPONENT_WORDS.items():
        if word in low:
            return key
    return None


def _parse_meeting(value: str, line: int) -> tuple[tuple[int, ...], time, time]:
    # "Mon, Wed: 5:30pm-6:45pm"
    try:
        days_part, hours_part = value.split(":", 1)
        days = tuple(WEEKDAYS[d.strip().lower()[:3]] for d in days_part.split(","))
        start_text, end_text = (p.strip() for p in re.split(r"\s*[-–]\s*", hours_part.strip(), maxsplit=1))
        return days, parse_clock(start_text), parse_clock(end_text)
    except (KeyError, ValueError) as exc:
        raise SyllabusError(line, f"cannot read the meeting times {value!r}: {exc}") from None


# --- the whole file -------------------------------------------------------------------------


def parse_syllabus(text: str, *, time_zone: str) -> ParsedSyllabus:
    lines = text.splitlines()
    zone = ZoneInfo(time_zone)
    header: dict[str, tuple[int, str]] = {}
    title_match = None
    table_start = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if title_match is None and (m := _TITLE.match(line)):
            title_match = m
        elif (m := _FIELD.match(line)) and m["key"] not in header:
            header[m["key"].lower()] = (number, m["value"])
        if table_start is None and re.match(r"^Week\t", raw):
            table_start = number
    if title_match is None:
        raise SyllabusError(None, "no title line of the form '# CODE 123: Title'")
    if "semester" not in header:
        raise SyllabusError(None, "no 'Semester:' line (for example 'Semester: Fall 2023')")
    sem_line, term = header["semester"]
    year_match = re.search(r"(19|20)\d{2}", term)
    if not year_match:
        raise SyllabusError(sem_line, f"the semester {term!r} names no year")
    year = int(year_match[0])

    parsed = ParsedSyllabus(
        code=title_match["code"],
        title=title_match["title"],
        term=term,
        year=year,
        slug=slugify_code(title_match["code"], term),
        time_zone=time_zone,
    )
    parsed.notes.append(f"Times are in {time_zone}; the syllabus names no time zone.")
    for number, raw in enumerate(lines, start=1):
        if m := re.match(r"^Instructor:\s*(?P<name>[^(\[]+?)\s*\(\[(?P<email>[^\]]+)\]", raw.strip()):
            parsed.instructor_name, parsed.instructor_email = m["name"], m["email"]
            if number + 1 <= len(lines) and lines[number].strip() and ":" not in lines[number]:
                parsed.institution = lines[number].strip()
            break
    if "credit hours" in header:
        parsed.credit_hours = int(re.sub(r"\D", "", header["credit hours"][1]) or 0) or None
    parsed.location = header.get("class location", (0, ""))[1]
    parsed.office_hours = header.get("office hours", (0, ""))[1]
    parsed.office_location = header.get("location", (0, ""))[1]
    if "meeting times" not in header:
        raise SyllabusError(None, "no 'Meeting Times:' line (for example 'Mon, Wed: 5:30pm-6:45pm')")
    meet_line, parsed.meeting_times = header["meeting times"]
    parsed.meeting_days, parsed.meeting_start, parsed.meeting_end = _parse_meeting(parsed.meeting_times, meet_line)

    _parse_policies(lines, parsed)
    if table_start is None:
        raise SyllabusError(None, "no schedule table (a line starting with 'Week<TAB>')")
    _parse_schedule(lines, table_start, parsed, zone)
    return parsed


def _parse_policies(lines: list[str], parsed: ParsedSyllabus) -> None:
    in_grading = False
    for number, raw in enumerate(lines, start=1):
        if raw.startswith("## "):
            in_grading = "grading" in raw.lower()
            continue
        if in_grading and raw.lstrip().startswith("-") and (m := _WEIGHT.search(raw)):
            key = _component_of(m["label"])
            if key is None:
                raise SyllabusError(number, f"unknown grade component {m['label']!r}")
            parsed.weights[key] = Decimal(m["pct"])
        text = raw.replace("*", "")
        if m := _LATE.search(text):
            parsed.late_window = timedelta(hours=int(m["hours"]))
            parsed.late_penalty = Decimal(m["pct"]) / 100
        if m := _REGRADE.search(text):
            n = int(m["n"])
            parsed.regrade_window = timedelta(weeks=n) if m["unit"].startswith("week") else timedelta(days=n)
    if not parsed.weights:
        parsed.weights = dict(policy.COMPONENT_WEIGHTS)
        parsed.notes.append("No grading weights found: the default weights were used.")
    elif sum(parsed.weights.values()) != 100:
        raise SyllabusError(None, f"the grading weights add up to {sum(parsed.weights.values())}%, not 100%")


_ROW_START = re.compile(r"^(\d+)?\t")
_DUE = re.compile(r"^(?P<title>.+?)\s+Due(?:\s+at\s+(?P<clock>\d{1,2}(?::\d{2})?\s*[ap]\.?m\.?))?$", re.I)


def _table_rows(lines: list[str], start: int) -> list[tuple[int, list[str]]]:
    """Logical rows of the table with the line number where each starts.

    A line that does not start a row (no leading week number or tab) continues the row above:
    that is how a cell split over two lines ('Sept 11' / '-15') reads.
    """
    header = lines[start - 1].split("\t")
    width = len(header)
    rows: list[tuple[int, list[str]]] = []
    buffer: tuple[int, str] | None = None
    for number in range(start + 1, len(lines) + 1):
        raw = lines[number - 1].rstrip("\n")
        if not raw.strip():
            if buffer and len(buffer[1].split("\t")) >= width - 1:
                rows.append((buffer[0], buffer[1].split("\t")))
                buffer = None
            continue
        if raw.startswith("#") or raw.startswith("---"):
            break
        if _ROW_START.match(raw):
            if buffer:
                rows.append((buffer[0], buffer[1].split("\t")))
            buffer = (number, raw)
        elif buffer:
            buffer = (buffer[0], buffer[1].rstrip() + " " + raw.strip())
        else:
            raise SyllabusError(number, f"expected a schedule row (week<TAB>date<TAB>…), found {raw.strip()[:40]!r}")
    if buffer:
        rows.append((buffer[0], buffer[1].split("\t")))
    for number, cells in rows:
        if len(cells) < width - 1 or len(cells) > width:
            raise SyllabusError(number, f"expected {width} tab-separated cells, found {len(cells)}")
        cells.extend([""] * (width - len(cells)))
    return rows


def _session_kind(topic: str) -> str:
    low = topic.lower()
    if "holiday" in low or "break" in low:
        return "holiday"
    if "exam" in low:
        return "exam"
    if "presentation" in low:
        return "presentation"
    if "paper discussion" in low:
        return "discussion"
    return "lecture"


def _parse_schedule(lines: list[str], start: int, parsed: ParsedSyllabus, zone: ZoneInfo) -> None:
    header = [clean_cell(c) for c in lines[start - 1].split("\t")]
    day_columns: list[tuple[int, int]] = []  # (column index, weekday)
    for index, name in enumerate(header[2:-1], start=2):
        key = name.lower()[:3]
        if key not in WEEKDAYS:
            raise SyllabusError(start, f"column {name!r} is not a weekday")
        day_columns.append((index, WEEKDAYS[key]))
    assert parsed.meeting_start and parsed.meeting_end
    previous_week = 0
    presentations: list[ParsedSession] = []
    for number, cells in _table_rows(lines, start):
        week_text, date_text = cells[0].strip(), cells[1]
        try:
            first, last = parse_dates(date_text, parsed.year)
        except ValueError as exc:
            raise SyllabusError(number, str(exc)) from None
        if not week_text:
            _parse_weekless_row(number, cells, first, parsed, zone)
            continue
        week = int(week_text)
        if week != previous_week + 1:
            raise SyllabusError(number, f"week {week} follows week {previous_week}")
        previous_week = week
        if first.weekday() != 0:
            raise SyllabusError(number, f"week {week} starts on {first:%A %d %B}, not a Monday")
        for index, weekday in day_columns:
            raw_topic = cells[index]
            topic = clean_cell(raw_topic)
            if not topic:
                continue
            guest = bool(re.search(r"\[\s*guest\s*\]", topic, re.I))
            topic = re.sub(r"\s*\[\s*guest\s*\]\s*", "", topic, flags=re.I).strip()
            day = first + timedelta(days=weekday)
            session = ParsedSession(
                line=number,
                week=week,
                starts_at=datetime.combine(day, parsed.meeting_start, zone),
                ends_at=datetime.combine(day, parsed.meeting_end, zone),
                topic=topic,
                kind="guest" if guest else _session_kind(topic),
            )
            parsed.sessions.append(session)
            if session.kind == "presentation":
                presentations.append(session)
        due_cell = clean_cell(cells[-1])
        if due_cell:
            _add_due_item(number, due_cell, week, first, parsed, zone)
    _add_presentations(presentations, parsed)
    if not parsed.sessions:
        raise SyllabusError(start, "the schedule table has no sessions")
    parsed.starts_on = parsed.sessions[0].starts_at.date()
    parsed.ends_on = max([s.ends_at for s in parsed.sessions] + [a.due_at for a in parsed.assignments]).date()


def _friday_default(first_day: date, zone: ZoneInfo) -> datetime:
    day = first_day + timedelta(days=policy.DEFAULT_DUE_WEEKDAY - first_day.weekday())
    return datetime.combine(day, policy.DEFAULT_DUE_TIME, zone)


def _add_due_item(number: int, cell: str, week: int, first: date, parsed: ParsedSyllabus, zone: ZoneInfo) -> None:
    low = cell.lower()
    due_at = _friday_default(first, zone)
    if m := re.match(r"^hw\s*(\d+)\s+due$", low):
        n = m[1]
        item = ParsedAssignment(number, f"hw{n}", f"HW {n}", "homework", "homework", week, due_at, True)
    elif "exam" in low:
        # The exam's Monday session (if the table has one) is when it opens.
        opens = next((s.starts_at for s in parsed.sessions if s.week == week and s.kind == "exam"), None)
        item = ParsedAssignment(
            number, "midterm", "Mid-term exam (take-home)", "exam", "midterm", week, due_at, True,
            late_allowed=False, opens_at=opens,
        )
    elif "paper discussion" in low and "report" in low:
        item = ParsedAssignment(
            number, "paper-discussion-report", "Paper discussion report", "report", "paper_discussion",
            week, due_at, True, group_work=True,
        )
    else:
        raise SyllabusError(number, f"cannot tell what {cell!r} is (homework, exam or report)")
    parsed.assignments.append(item)
    parsed.notes.append(
        f"{item.title}: the schedule gives week {week} but no hour; due {due_at:%a %d %b %Y %I:%M %p} "
        f"({zone.key}) assumed."
    )


def _parse_weekless_row(number: int, cells: list[str], day: date, parsed: ParsedSyllabus, zone: ZoneInfo) -> None:
    text = " ".join(clean_cell(c) for c in cells[2:] if clean_cell(c))
    m = _DUE.match(text)
    if not m:
        raise SyllabusError(number, f"a row without a week must be a deadline ('… Due at 5am'), found {text!r}")
    title = m["title"].strip()
    if m["clock"]:
        due_at = datetime.combine(day, parse_clock(m["clock"]), zone)
        assumed = False
    else:
        due_at = datetime.combine(day, policy.DEFAULT_DUE_TIME, zone)
        assumed = True
        parsed.notes.append(f"{title}: no hour given; {policy.DEFAULT_DUE_TIME:%I:%M %p} assumed.")
    component = _component_of(title) or ("final_project" if "final" in title.lower() else None)
    if component is None:
        raise SyllabusError(number, f"cannot tell which grade component {title!r} belongs to")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    parsed.assignments.append(
        ParsedAssignment(number, slug, title, "report", component, None, due_at, assumed, group_work=True)
    )


def _add_presentations(presentations: list[ParsedSession], parsed: ParsedSyllabus) -> None:
    """Presentation sessions in the table become the final project's presentation deliverables."""
    proposal = [s for s in presentations if "proposal" in s.topic.lower()]
    project = [s for s in presentations if "proposal" not in s.topic.lower()]
    if proposal:
        s = proposal[0]
        parsed.assignments.append(
            ParsedAssignment(s.line, "project-proposal", "Project proposal presentation", "presentation",
                             "final_project", s.week, s.starts_at, True, group_work=True)
        )
        parsed.notes.append("Project proposal presentation: slides due when its session starts.")
    if project:
        s = project[0]
        weeks = sorted({p.week for p in project})
        parsed.assignments.append(
            ParsedAssignment(s.line, "project-presentation", "Project presentation", "presentation",
                             "final_project", s.week, s.starts_at, True, group_work=True)
        )
        parsed.notes.append(
            f"Project presentations (weeks {weeks[0]}–{weeks[-1]}): slides due when the first "
            "presentation session starts; each group's slot is set on the groups page."
        )
