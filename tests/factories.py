"""Personas and objects for tests (factory_boy)."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from hub.courses.models import Assignment, Course, GradeComponent, Membership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.edu")
    password = factory.django.Password("pw-for-tests-1")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"course{n}-fall2023")
    code = factory.Sequence(lambda n: f"CSDS {700 + n}")
    title = "A course"
    term = "Fall 2023"


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GradeComponent
        django_get_or_create = ("course", "key")

    course = factory.SubFactory(CourseFactory)
    key = GradeComponent.Key.HOMEWORK
    label = "Homework assignments"
    weight = 30


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    course = factory.SubFactory(CourseFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.STUDENT


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"hw{n + 10}")
    title = factory.LazyAttribute(lambda a: a.slug.upper())
    kind = Assignment.Kind.HOMEWORK
    component = factory.LazyAttribute(lambda a: ComponentFactory(course=a.course))
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
