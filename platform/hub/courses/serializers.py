from rest_framework import serializers

from .models import Assignment, Course, GradeComponent, Session


class ComponentOutput(serializers.ModelSerializer):
    class Meta:
        model = GradeComponent
        fields = ["key", "label", "weight"]


class CourseOutput(serializers.ModelSerializer):
    components = ComponentOutput(many=True, read_only=True)
    role = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = [
            "slug", "code", "title", "term", "instructor_name", "location", "meeting_times",
            "office_hours", "time_zone", "starts_on", "ends_on", "late_window", "late_penalty",
            "regrade_window", "components", "role",
        ]

    def get_role(self, course) -> str:
        return self.context["roles"].get(course.pk, "")


class SessionOutput(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["week", "starts_at", "ends_at", "topic", "kind", "no_class"]


class AssignmentOutput(serializers.ModelSerializer):
    component = serializers.SlugRelatedField(slug_field="key", read_only=True)
    effective_due_at = serializers.SerializerMethodField()
    late_until = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "slug", "title", "kind", "component", "week", "opens_at", "due_at", "due_assumed",
            "effective_due_at", "late_until", "late_allowed", "max_points", "autograder",
            "group_work", "required_files",
        ]

    def _deadline(self, obj):
        return self.context["deadlines"][obj.pk]

    def get_effective_due_at(self, obj) -> str:
        return serializers.DateTimeField().to_representation(self._deadline(obj).due_at)

    def get_late_until(self, obj) -> str | None:
        late = self._deadline(obj).late_until
        return serializers.DateTimeField().to_representation(late) if late else None
