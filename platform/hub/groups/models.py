"""Paper-discussion and project groups: sign-up, topics, presentation slots and group grades.

The invariants that two concurrent requests could break are in the database: one group per
student per set, one group per paper per set, one slot per group per round.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from hub.courses.models import Assignment, Course, Session

DEFAULT_MIN_SIZE = 2
DEFAULT_MAX_SIZE = 4
DEFAULT_SLOT_CAPACITY = 2


class GroupSet(models.Model):
    """The groups of one course for one purpose (the paper discussion, or the final project)."""

    class Kind(models.TextChoices):
        PAPER_DISCUSSION = "paper_discussion", "Paper discussion"
        PROJECT = "project", "Final project"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="group_sets")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    min_size = models.PositiveSmallIntegerField(default=DEFAULT_MIN_SIZE)
    max_size = models.PositiveSmallIntegerField(default=DEFAULT_MAX_SIZE)
    # Null: no bound on that side. Outside the window only staff change groups.
    signup_opens_at = models.DateTimeField(null=True, blank=True)
    signup_closes_at = models.DateTimeField(null=True, blank=True)
    # The group-work deliverables graded per group (one submission per group).
    assignments = models.ManyToManyField(Assignment, through="GroupSetAssignment", related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["course", "kind"], name="one_group_set_per_kind"),
            models.CheckConstraint(condition=Q(min_size__gte=1), name="group_min_size_positive"),
            models.CheckConstraint(
                condition=Q(max_size__gte=F("min_size")), name="group_max_size_at_least_min"
            ),
            models.CheckConstraint(
                condition=Q(signup_opens_at__isnull=True)
                | Q(signup_closes_at__isnull=True)
                | Q(signup_closes_at__gt=F("signup_opens_at")),
                name="group_signup_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.course.slug})"

    def signup_open_at(self, when) -> bool:
        if self.signup_opens_at is not None and when < self.signup_opens_at:
            return False
        return self.signup_closes_at is None or when < self.signup_closes_at


class GroupSetAssignment(models.Model):
    """An assignment submitted and graded per group; an assignment belongs to at most one set."""

    group_set = models.ForeignKey(
        GroupSet, on_delete=models.CASCADE, related_name="set_assignments"
    )
    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="group_set_link"
    )

    def __str__(self) -> str:
        return f"{self.assignment} → {self.group_set}"


class Group(models.Model):
    class TopicKind(models.TextChoices):
        NONE = "", "Not chosen yet"
        PAPER = "paper", "A paper"
        SURVEY = "survey", "A survey of an area"

    group_set = models.ForeignKey(GroupSet, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=100)
    topic_kind = models.CharField(
        max_length=8, choices=TopicKind.choices, blank=True, default=TopicKind.NONE
    )
    paper_title = models.CharField(max_length=300, blank=True)
    paper_url = models.URLField(max_length=500, blank=True)
    survey_area = models.CharField(max_length=300, blank=True)
    # Normalised forms (casefolded, punctuation and spacing collapsed; the URL without scheme,
    # "www." or version) so "GANs: A Survey" and "gans a survey" are the same paper.
    topic_key = models.CharField(max_length=300, blank=True)
    paper_url_key = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group_set", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "group_set", name="group_name_unique_in_set"),
            models.UniqueConstraint(
                fields=["group_set", "topic_key"],
                condition=~Q(topic_key=""),
                name="one_group_per_topic",
            ),
            models.UniqueConstraint(
                fields=["group_set", "paper_url_key"],
                condition=~Q(paper_url_key=""),
                name="one_group_per_paper_link",
            ),
            # The keys are written lower-case by the service; the database refuses anything else.
            models.CheckConstraint(
                condition=Q(topic_key=Lower("topic_key")), name="group_topic_key_lower_case"
            ),
            models.CheckConstraint(
                condition=Q(topic_kind="", topic_key="")
                | Q(topic_kind="paper") & ~Q(paper_title="") & ~Q(topic_key="")
                | Q(topic_kind="survey") & ~Q(survey_area="") & ~Q(topic_key=""),
                name="group_topic_matches_its_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def topic_label(self) -> str:
        if self.topic_kind == self.TopicKind.PAPER:
            return self.paper_title
        if self.topic_kind == self.TopicKind.SURVEY:
            return f"Survey: {self.survey_area}"
        return ""


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    # Copied from the group so that "one group per student per set" is a database constraint.
    group_set = models.ForeignKey(GroupSet, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_set", "student"], name="one_group_per_student_per_set"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.group}"


class PresentationSlot(models.Model):
    """A session in which up to `capacity` groups of a set present."""

    class Round(models.TextChoices):
        DISCUSSION = "discussion", "Paper discussion"
        PROPOSAL = "proposal", "Proposal presentation"
        FINAL = "final", "Project presentation"

    group_set = models.ForeignKey(GroupSet, on_delete=models.CASCADE, related_name="slots")
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="presentation_slots"
    )
    round = models.CharField(max_length=16, choices=Round.choices)
    capacity = models.PositiveSmallIntegerField(default=DEFAULT_SLOT_CAPACITY)

    class Meta:
        ordering = ["group_set", "session__starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_set", "session"], name="one_slot_per_session_per_set"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_round_display()}: {self.session}"


class SlotAssignment(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="slot_assignments")
    slot = models.ForeignKey(PresentationSlot, on_delete=models.CASCADE, related_name="assignments")
    # Copied from the slot so that "one slot per group per round" is a database constraint.
    round = models.CharField(max_length=16, choices=PresentationSlot.Round.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField()

    class Meta:
        ordering = ["slot__session__starts_at", "group__name"]
        constraints = [
            models.UniqueConstraint(fields=["group", "round"], name="one_slot_per_group_per_round"),
        ]

    def __str__(self) -> str:
        return f"{self.group} presents in {self.slot}"


class GroupGrade(models.Model):
    """The grade of a group's deliverable; each member gets it plus their own adjustment."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="grades")
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="group_grades"
    )
    points = models.DecimalField(max_digits=7, decimal_places=2)
    comment = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["assignment", "group__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "assignment"], name="one_grade_per_group_per_assignment"
            ),
            models.CheckConstraint(condition=Q(points__gte=0), name="group_grade_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.points} on {self.assignment}"


class MemberAdjustment(models.Model):
    """Points added to (or, negative, taken from) one member's share of the group grade."""

    group_grade = models.ForeignKey(
        GroupGrade, on_delete=models.CASCADE, related_name="adjustments"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    points = models.DecimalField(max_digits=7, decimal_places=2)
    reason = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["group_grade", "student__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_grade", "student"], name="one_adjustment_per_member"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_has_a_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.points:+} ({self.reason})"
