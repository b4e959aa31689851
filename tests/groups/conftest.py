from datetime import timedelta

import pytest
from django.utils import timezone

from hub.courses.models import Membership
from hub.groups.models import GroupSet
from hub.groups.services import group_set_create

from ..factories import MembershipFactory, UserFactory


@pytest.fixture
def make_student(course):
    def make(username):
        return MembershipFactory(
            course=course, user=UserFactory(username=username), role=Membership.Role.STUDENT
        ).user

    return make


@pytest.fixture
def discussion_set(course):
    """Paper-discussion groups of 2 to 3, sign-up open now."""
    now = timezone.now()
    return group_set_create(
        course=course,
        kind=GroupSet.Kind.PAPER_DISCUSSION,
        min_size=2,
        max_size=3,
        signup_opens_at=now - timedelta(days=1),
        signup_closes_at=now + timedelta(days=7),
    )


@pytest.fixture
def project_set(course):
    return group_set_create(course=course, kind=GroupSet.Kind.PROJECT, min_size=1, max_size=4)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Every persona gets a password; the production hasher makes each one cost ~100 ms.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
