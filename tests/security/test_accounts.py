"""Accounts: API tokens that can be revoked, passwords stored with Django's default hasher,
session and CSRF cookies that only travel over HTTPS outside debug."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import global_settings
from django.contrib.auth.hashers import identify_hasher
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ..factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-for-tests-1"

pytestmark = pytest.mark.django_db


def _token_for(user) -> str:
    response = APIClient().post("/api/auth/token/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _courses_with(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/courses/").status_code


def test_a_token_works_until_it_is_revoked(world):
    token = _token_for(world.users["student"])
    assert _courses_with(token) == 200
    Token.objects.filter(key=token).delete()  # what the admin's "delete token" does
    assert _courses_with(token) == 401


def test_an_admin_revokes_a_token_through_the_admin(world, client):
    token = _token_for(world.users["student"])
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    pk = Token.objects.get(key=token).user_id  # the admin's TokenProxy is keyed by the user
    page = client.get(f"/admin/authtoken/tokenproxy/{pk}/delete/")
    assert page.status_code == 200
    response = client.post(f"/admin/authtoken/tokenproxy/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert _courses_with(token) == 401


def test_a_new_token_after_revocation_is_a_different_secret(world):
    user = world.users["student"]
    first = _token_for(user)
    Token.objects.filter(key=first).delete()
    second = _token_for(user)
    assert second != first and _courses_with(second) == 200 and _courses_with(first) == 401


def test_a_wrong_password_gets_no_token(world):
    response = APIClient().post(
        "/api/auth/token/", {"username": world.users["student"].username, "password": "not-it"}
    )
    assert response.status_code == 400 and "token" not in response.json()


def test_a_user_revokes_their_own_token(world):
    token = _token_for(world.users["student"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.delete("/api/auth/token/").status_code in (200, 204)
    assert _courses_with(token) == 401


def test_passwords_are_hashed_with_djangos_default(settings):
    """The project does not choose a hasher: Django's default (PBKDF2-SHA256, its current
    iteration count) applies, and the password is never stored as given."""
    import config.settings as project_settings

    assert not hasattr(project_settings, "PASSWORD_HASHERS")
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    user = UserFactory(username="hashme")
    user.set_password("correct horse battery staple")
    user.save()
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "pbkdf2_sha256"
    assert "correct horse" not in user.password
    assert user.check_password("correct horse battery staple")


def test_logging_in_through_the_form_checks_the_hash(settings, client):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    user = UserFactory(username="formuser")
    user.set_password("a long enough passphrase")
    user.save()
    bad = client.post("/accounts/login/", {"username": "formuser", "password": "wrong"})
    assert bad.status_code == 200 and "_auth_user_id" not in client.session
    good = client.post("/accounts/login/", {"username": "formuser", "password": "a long enough passphrase"})
    assert good.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)


def _settings_in_a_fresh_process(**env) -> dict:
    """The settings a server process would get: not under pytest, only the given environment."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ('DEBUG', 'SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY')}))"
    )
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "DATABASE_URL")}
    base.update(PYTHONPATH=f"{ROOT / 'platform'}:{ROOT}", DJANGO_SETTINGS_MODULE="config.settings", TESTING="0")
    base.update(env)
    out = subprocess.run([sys.executable, "-c", code], env=base, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_cookies_are_secure_outside_debug():
    values = _settings_in_a_fresh_process(DEBUG="0", SECRET_KEY="x" * 50)
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
    }


def test_a_laptop_in_debug_can_use_plain_http():
    values = _settings_in_a_fresh_process(DEBUG="1")
    assert values["SESSION_COOKIE_SECURE"] is False and values["SESSION_COOKIE_HTTPONLY"] is True


def test_a_server_refuses_to_start_without_a_secret_key():
    code = "import django; django.setup()"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TESTING": "0",
        "DEBUG": "0",
        "SECRET_KEY": "",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "SECRET_KEY" in out.stderr


def test_the_session_cookie_sent_by_a_production_login_is_secure(settings, client):
    """Not only the setting: the Set-Cookie header of a real login says Secure and HttpOnly."""
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    UserFactory(username="cookie")
    response = client.post("/accounts/login/", {"username": "cookie", "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    morsel = response.cookies[settings.SESSION_COOKIE_NAME]
    assert morsel["secure"] and morsel["httponly"]
    assert morsel["samesite"].lower() in ("lax", "strict")
