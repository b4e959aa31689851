"""Who may reach what: every URL of the resolver × seven personas, with the expected answer.

The table below is the policy. `test_every_url_is_in_the_matrix` walks the URL resolver, so a
new endpoint without a row fails the suite until someone decides who may use it.

Answers:
  OK     the persona gets through the access check (2xx, or a redirect that is not to a login)
  LOGIN  anonymous: a redirect to the login page, 401, or 403
  DENY   403: a member of the course without the role (a student on a staff page)
  HIDE   404: the course (or the submission) is not theirs, and nothing says it exists
  BAD    400/409/422: refused on its merits, after the access check (a form without its fields)
  PASS   OK or BAD: the persona got past the access check; the probe sends no valid body, so
         whether the write itself succeeds is the business of the app's own tests

Personas: anonymous; student (owns the submission in the URL); other_student (same course);
outsider (student of another course); ta; other_ta (TA of another course); instructor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from .urlmap import Endpoint, endpoints

pytestmark = pytest.mark.django_db

OK, LOGIN, DENY, HIDE, BAD, PASS = "OK", "LOGIN", "DENY", "HIDE", "BAD", "PASS"
PERSONAS = ("anonymous", "student", "other_student", "outsider", "ta", "other_ta", "instructor")


@dataclass(frozen=True)
class Row:
    key: str
    method: str
    expected: tuple[str, ...]  # one per persona, in PERSONAS order
    params: dict = field(default_factory=dict)  # URL parameter -> another key of world.params
    body: dict = field(default_factory=dict)  # form field -> key of world.params


def row(key, method, anonymous, student, other_student, outsider, ta, other_ta, instructor, body=None, **params):
    expected = (anonymous, student, other_student, outsider, ta, other_ta, instructor)
    return Row(key, method, expected, params, body or {})


# fmt: off
#    URL name                              method anon   student other  outsider ta    other_ta instr
MATRIX = [
    row("home",                            "GET", LOGIN, OK,     OK,    OK,      OK,   OK,      OK),
    row("login",                           "GET", OK,    OK,     OK,    OK,      OK,   OK,      OK),
    # Logging out ends on the login page (LOGOUT_REDIRECT_URL), whoever asked.
    row("logout",                          "POST", LOGIN, LOGIN, LOGIN, LOGIN,   LOGIN, LOGIN,  LOGIN),
    # The iCalendar feed is a capability URL: calendar apps cannot log in, the token is the key.
    row("courses:calendar",                "GET", OK,    OK,     OK,    OK,      OK,   OK,      OK),
    row("courses:dashboard",               "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("courses:schedule",                "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    # The instructor edits the deadlines in place.
    row("courses:deadlines",               "GET", LOGIN, DENY,   DENY,  HIDE,    DENY, HIDE,    OK),
    row("courses:deadline-row",            "GET", LOGIN, DENY,   DENY,  HIDE,    DENY, HIDE,    OK),
    # Grading pages of `student`'s submission.
    row("grading:report",                  "GET", LOGIN, OK,     HIDE,  HIDE,    OK,   HIDE,    OK),
    row("grading:status",                  "GET", LOGIN, OK,     HIDE,  HIDE,    OK,   HIDE,    OK),
    row("grading:artifact",                "GET", LOGIN, OK,     HIDE,  HIDE,    OK,   HIDE,    OK),
    row("grading:rerun",                   "POST", LOGIN, DENY,  HIDE,  HIDE,    OK,   HIDE,    OK),
    row("grading:reports",                 "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK),
    row("grading:rerun-all",               "POST", LOGIN, DENY,  DENY,  HIDE,    OK,   HIDE,    OK),
    # The class leaderboard (aliases only) is for every member of the course.
    row("grading:leaderboard",             "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK,
        assignment_slug="leaderboard_assignment_slug"),
    # HW1's starter code (stubs, README, common files): every member of the course.
    row("grading:starter",                 "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("gradebook:gradebook",             "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK),
    row("gradebook:canvas_csv",            "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK),
    row("gradebook:letters",               "GET", LOGIN, DENY,   DENY,  HIDE,    DENY, HIDE,    OK),
    row("gradebook:letters_preview",       "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("gradebook:letters_save",          "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("gradebook:letters_lock",          "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("gradebook:letters_unlock",        "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    # Groups pages: the set of `student`'s group; the instructor runs the sets and the slots.
    row("groups:index",                    "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("groups:set",                      "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("groups:grades",                   "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK,
        assignment_slug="group_assignment_slug"),
    row("groups:create",                   "POST", LOGIN, PASS,  PASS,  HIDE,    PASS, HIDE,    PASS),
    row("groups:join",                     "POST", LOGIN, PASS,  PASS,  HIDE,    PASS, HIDE,    PASS),
    row("groups:leave",                    "POST", LOGIN, PASS,  PASS,  HIDE,    PASS, HIDE,    PASS),
    row("groups:topic",                    "POST", LOGIN, PASS,  PASS,  HIDE,    PASS, HIDE,    PASS),
    row("groups:slot_choose",              "POST", LOGIN, PASS,  PASS,  HIDE,    PASS, HIDE,    PASS,
        body={"slot": "slot_id"}),
    row("groups:set_create",               "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("groups:set_update",               "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("groups:slot_update",              "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("groups:slot_assign",              "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS,
        body={"slot": "slot_id"}),
    row("groups:slots_assign_remaining",   "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("groups:member_add",               "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("groups:member_remove",            "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    # Submission pages of the assignment; the submission in the URL is `student`'s.
    row("submissions:assignment",          "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("submissions:create",              "POST", LOGIN, PASS,  PASS,  HIDE,    DENY, HIDE,    DENY),
    row("submissions:list",                "GET", LOGIN, OK,     OK,    HIDE,    DENY, HIDE,    DENY),
    row("submissions:receipt",             "GET", LOGIN, OK,     HIDE,  HIDE,    OK,   HIDE,    OK),
    row("submissions:file",                "GET", LOGIN, OK,     HIDE,  HIDE,    OK,   HIDE,    OK),
    row("submissions:activate",            "POST", LOGIN, PASS,  HIDE,  HIDE,    DENY, HIDE,    DENY),
    row("submissions:regrade",             "POST", LOGIN, PASS,  PASS,  HIDE,    DENY, HIDE,    DENY),
    row("submissions:mine",                "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("submissions:staff",               "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK),
    row("submissions:correction-grant",    "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("submissions:emailed-create",      "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("submissions:regrade-decide",      "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("submissions:extension-grant",     "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("submissions:accommodations",      "GET", LOGIN, DENY,   DENY,  HIDE,    DENY, HIDE,    OK),
    # Rubrics and manual grading: the course's staff only.
    row("rubrics:edit",                    "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK),
    row("rubrics:question_create",         "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("rubrics:question_update",         "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("rubrics:item_create",             "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("rubrics:item_update",             "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("rubrics:item_delete",             "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("rubrics:queue",                   "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK),
    row("rubrics:grade",                   "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK),
    row("rubrics:toggle",                  "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("rubrics:note",                    "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    # A student's own rubric feedback; staff are sent on to the grading queue.
    row("rubrics:feedback",                "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("rubrics:file",                    "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK),
    # Code similarity between submissions: staff only (a_id: `student`'s, b_id: `other_student`'s).
    row("similarity:report",               "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK),
    row("similarity:run",                  "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("similarity:pair",                 "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK),
    # The API: token or session; the schema and its browser are public documentation.
    row("api-schema",                      "GET", OK,    OK,     OK,    OK,      OK,   OK,      OK),
    row("api-docs",                        "GET", OK,    OK,     OK,    OK,      OK,   OK,      OK),
    row("api-token",                       "POST", BAD,  OK,     OK,    OK,      OK,   OK,      OK),
    # DELETE revokes the caller's own token.
    row("api-token",                       "DELETE", LOGIN, OK,  OK,    OK,      OK,   OK,      OK),
    row("api-courses",                     "GET", LOGIN, OK,     OK,    OK,      OK,   OK,      OK),
    row("api-course",                      "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("api-schedule",                    "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("api-assignments",                 "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("api-grading-status",              "GET", LOGIN, OK,     HIDE,  HIDE,    OK,   HIDE,    OK),
    # Submissions of the assignment; the one in the URL is `student`'s.
    row("api-submissions",                 "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("api-submission-create",           "POST", LOGIN, PASS,  PASS,  HIDE,    DENY, HIDE,    DENY),
    row("api-submission-emailed",          "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("api-submission",                  "GET", LOGIN, OK,     HIDE,  HIDE,    OK,   HIDE,    OK),
    row("api-submission-file",             "GET", LOGIN, OK,     HIDE,  HIDE,    OK,   HIDE,    OK),
    # Only the student chooses which of their submissions counts.
    row("api-submission-activate",         "POST", LOGIN, PASS,  HIDE,  HIDE,    DENY, HIDE,    DENY),
    row("api-deadline",                    "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    # A grade is the student's own: staff read grades in the gradebook.
    row("api-grade",                       "GET", LOGIN, OK,     HIDE,  HIDE,    HIDE, HIDE,    HIDE),
    row("api-extension-grant",             "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("api-correction-grant",            "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("api-accommodation-register",      "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("api-grades-release",              "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("api-regrade-request",             "POST", LOGIN, PASS,  PASS,  HIDE,    DENY, HIDE,    DENY),
    row("api-regrade-decide",              "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("api-gradebook",                   "GET", LOGIN, DENY,   DENY,  HIDE,    OK,   HIDE,    OK),
    row("api-gradebook-letters",           "GET", LOGIN, DENY,   DENY,  HIDE,    DENY, HIDE,    OK),
    row("api-group-sets",                  "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("api-group-set",                   "GET", LOGIN, OK,     OK,    HIDE,    OK,   HIDE,    OK),
    row("api-group-create",                "POST", LOGIN, PASS,  PASS,  HIDE,    PASS, HIDE,    PASS),
    row("api-group-join",                  "POST", LOGIN, PASS,  PASS,  HIDE,    PASS, HIDE,    PASS),
    row("api-group-leave",                 "POST", LOGIN, PASS,  PASS,  HIDE,    PASS, HIDE,    PASS),
    row("api-group-topic",                 "POST", LOGIN, PASS,  PASS,  HIDE,    PASS, HIDE,    PASS),
    row("api-group-slot-choose",           "POST", LOGIN, PASS,  PASS,  HIDE,    PASS, HIDE,    PASS),
    row("api-group-set-create",            "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("api-group-set-update",            "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("api-group-slot-update",           "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("api-group-slot-assign",           "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("api-group-slots-assign-remaining", "POST", LOGIN, DENY, DENY,  HIDE,    DENY, HIDE,    PASS),
    row("api-group-member-add",            "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("api-group-member-remove",         "POST", LOGIN, DENY,  DENY,  HIDE,    DENY, HIDE,    PASS),
    row("api-group-grade-record",          "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
    row("api-group-grade-adjust",          "POST", LOGIN, DENY,  DENY,  HIDE,    PASS, HIDE,    PASS),
]
# fmt: on

# Cells where the code answers differently from the policy today. Each is an expected failure
# (strict: once the code is fixed the cell passes, the xfail fails, and the line must go).
KNOWN_GAPS: dict[tuple[str, str], str] = {}

# Django's admin: no persona is a Django staff user, so every admin page sends them to the admin
# login, except the login page itself (and logout, which only takes POST).
# (admin's logout sends a non-staff user back to the admin index, itself closed to them).
ADMIN_OPEN = {"admin:login": (200, ""), "admin:logout": (302, "/admin/")}

# Values for URL parameters the fixtures do not model (admin object ids, the admin catch-all).
ADMIN_PARAMS = {"object_id": 1, "id": 1, "content_type_id": 1, "app_label": "courses", "url": "nothing/"}


def _all_endpoints() -> list[Endpoint]:
    return endpoints()


def _matrix_endpoints() -> dict[str, Endpoint]:
    return {e.key: e for e in _all_endpoints() if e.namespace != "admin"}


def _login_paths() -> tuple[str, ...]:
    return (reverse(settings.LOGIN_URL), reverse("admin:login"))


def _is_login_redirect(response) -> bool:
    if response.status_code not in (301, 302, 303, 307):
        return False
    return urlparse(response["Location"]).path.startswith(_login_paths())


def answer_of(response) -> str:
    """The matrix's name for a response (or the bare status when it names none)."""
    code = response.status_code
    if code >= 500:
        return f"SERVER ERROR {code}"
    if _is_login_redirect(response) or code == 401:
        return LOGIN
    if code == 403:
        return DENY
    if code == 404:
        return HIDE
    if code in (400, 409, 422):
        return BAD
    if code < 400:
        return OK
    return str(code)


def matches(expected: str, got: str, *, anonymous: bool) -> bool:
    # An API that says 403 to a caller without credentials is one way of saying "log in".
    if expected == LOGIN and anonymous and got == DENY:
        return True
    if expected == PASS:
        return got in (OK, BAD)
    return expected == got


def url_for(world, endpoint: Endpoint, matrix_row: Row) -> str:
    values = dict(world.params)
    values.update({param: world.params[other] for param, other in matrix_row.params.items()})
    return endpoint.build(values)


def request_as(client: Client, world, persona: str, endpoint: Endpoint, matrix_row: Row):
    user = world.users[persona]
    if user is not None:
        client.force_login(user)
    url = url_for(world, endpoint, matrix_row)
    data = {field_name: world.params[key] for field_name, key in matrix_row.body.items()}
    if endpoint.key == "api-token" and matrix_row.method == "POST" and user is not None:
        data = {"username": user.username, "password": "pw-for-tests-1"}
    return client.generic(matrix_row.method, url, data=_encode(data), content_type="application/x-www-form-urlencoded")


def _encode(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data)


def _cells():
    for r in MATRIX:
        for persona, expected in zip(PERSONAS, r.expected, strict=True):
            marks = []
            gap = KNOWN_GAPS.get((r.key, persona))
            if gap:
                marks.append(pytest.mark.xfail(reason=gap, strict=True))
            yield pytest.param(r, persona, expected, id=f"{r.key}-{r.method}-{persona}", marks=marks)


def test_every_url_is_in_the_matrix():
    listed = {r.key for r in MATRIX}
    missing = sorted(set(_matrix_endpoints()) - listed)
    assert not missing, (
        "These URLs have no row in tests/security/test_authz_matrix.py MATRIX; decide who may use "
        f"them and add one: {missing}"
    )


def test_matrix_has_no_stale_rows():
    stale = sorted({r.key for r in MATRIX} - set(_matrix_endpoints()))
    assert not stale, f"MATRIX rows for URLs that no longer exist: {stale}"


def test_every_gap_names_a_cell_of_the_matrix():
    cells = {(r.key, p) for r in MATRIX for p in PERSONAS}
    assert set(KNOWN_GAPS) <= cells


@pytest.mark.parametrize(("matrix_row", "persona", "expected"), list(_cells()))
def test_authorization(client, world, matrix_row, persona, expected):
    endpoint = _matrix_endpoints().get(matrix_row.key)
    if endpoint is None:
        pytest.fail(f"{matrix_row.key} is no longer in the URL configuration")
    try:
        response = request_as(client, world, persona, endpoint, matrix_row)
    except KeyError as missing:
        pytest.fail(f"{endpoint.route}: no fixture value for URL parameter {missing}; add it to `world`")
    got = answer_of(response)
    assert matches(expected, got, anonymous=persona == "anonymous"), (
        f"{matrix_row.method} {url_for(world, endpoint, matrix_row)} as {persona}: expected {expected}, "
        f"got {got} ({response.status_code})"
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_is_closed_to_every_course_persona(client, world, persona):
    """Course roles give no power over Django's admin: each admin URL sends them to its login."""
    if world.users[persona] is not None:
        client.force_login(world.users[persona])
    admin = [e for e in _all_endpoints() if e.namespace == "admin"]
    assert len(admin) > 10
    wrong = []
    for endpoint in admin:
        url = endpoint.build({**world.params, **ADMIN_PARAMS})
        response = client.get(url)
        if endpoint.key in ADMIN_OPEN:
            code, location = ADMIN_OPEN[endpoint.key]
            ok = response.status_code == code and response.get("Location", "") == location
        else:
            ok = _is_login_redirect(response) and urlparse(response["Location"]).path == reverse("admin:login")
        if not ok:
            wrong.append(f"{url}: {response.status_code} {response.get('Location', '')}")
    assert not wrong, "admin pages open to a course persona:\n" + "\n".join(wrong)
