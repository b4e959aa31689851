"""CSRF: every state-changing URL refuses a logged-in browser's POST that carries no token, and
every form and htmx request of the templates sends one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from .test_authz_matrix import MATRIX, OK, PASS, PERSONAS, _matrix_endpoints, url_for

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "platform").rglob("templates/**/*.html"))

WRITES = [r for r in MATRIX if r.method == "POST" and r.key not in ("api-token", "logout")]


def _allowed_persona(matrix_row) -> str:
    for persona, expected in zip(PERSONAS, matrix_row.expected, strict=True):
        if persona != "anonymous" and expected in (OK, PASS):
            return persona
    raise AssertionError(f"{matrix_row.key}: nobody may POST to it?")


@pytest.mark.django_db
@pytest.mark.parametrize("matrix_row", WRITES, ids=[r.key for r in WRITES])
def test_a_post_without_a_csrf_token_is_refused(world, matrix_row):
    """The persona allowed to write, logged in by session cookie, but without the token: 403,
    and nothing happens."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[_allowed_persona(matrix_row)])
    endpoint = _matrix_endpoints()[matrix_row.key]
    response = client.post(url_for(world, endpoint, matrix_row), {})
    assert response.status_code == 403, (matrix_row.key, response.status_code)
    assert b"CSRF" in response.content


@pytest.mark.django_db
def test_the_same_post_with_the_token_gets_through(world):
    """The control for the test above: the token (cookie + form field) is what makes the
    difference, not something else about the client."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["ta"])
    page = client.get(f"/courses/{world.course.slug}/assignments/{world.assignment.slug}/staff/")
    assert page.status_code == 200
    token = page.context["csrf_token"]
    url = f"/courses/{world.course.slug}/submissions/{world.params['submission_id']}/rerun/"
    assert client.post(url, {}).status_code == 403
    response = client.post(url, {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302


def test_the_templates_exist():
    assert len(TEMPLATES) > 10


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(t.relative_to(ROOT)) for t in TEMPLATES])
def test_every_post_form_carries_the_token(template):
    text = template.read_text(encoding="utf-8")
    forms = re.findall(r"<form\b[^>]*>.*?</form>", text, flags=re.S | re.I)
    for form in forms:
        opening = form[: form.index(">") + 1]
        if re.search(r"method\s*=\s*[\"']?post", opening, re.I):
            assert "{% csrf_token %}" in form, f"{template.name}: a POST form without {{% csrf_token %}}"


def test_htmx_requests_send_the_token_from_the_base_template():
    """htmx's hx-post carries no form token; base.html sets the X-CSRFToken header on <body>,
    so every page that uses htmx must extend it."""
    base = (ROOT / "platform/hub/core/templates/hub/base.html").read_text(encoding="utf-8")
    assert re.search(r"hx-headers='\{\"X-CSRFToken\": \"\{\{ csrf_token \}\}\"\}'", base)
    for template in TEMPLATES:
        text = template.read_text(encoding="utf-8")
        if re.search(r"hx-(post|put|patch|delete)=", text) and not template.name.startswith("_"):
            assert '{% extends "hub/base.html" %}' in text, f"{template}: htmx writes outside base.html"
