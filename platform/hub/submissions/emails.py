"""The emails of the submissions app; always sent after the transaction that caused them commits."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone


def _send(*, to, template: str, subject: str, context: dict) -> None:
    if not to.email:
        return
    # Django's `date` filter shows the current zone: make it the course's (America/New_York).
    with timezone.override(context["course"].zone):
        body = render_to_string(f"submissions/email/{template}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to.email], fail_silently=False)


def email_on_commit(*, to, template: str, subject: str, context: dict) -> None:
    transaction.on_commit(
        partial(_send, to=to, template=template, subject=subject, context=context)
    )
