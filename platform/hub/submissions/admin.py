"""Read-mostly admin: submissions and grades change only through the services (they keep history)."""

from django.contrib import admin

from .models import (
    Accommodation,
    CorrectionWindow,
    Extension,
    Grade,
    GradeChange,
    RegradeRequest,
    Submission,
    SubmissionFile,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SubmissionFileInline(admin.TabularInline):
    model = SubmissionFile
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "name", "archive", "sha256", "size"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "assignment",
        "student",
        "created_at",
        "lateness",
        "is_active",
        "submitted_by",
    ]
    list_filter = ["assignment__course", "assignment", "lateness", "is_active"]
    search_fields = ["student__username", "sha256"]
    inlines = [SubmissionFileInline]


class GradeChangeInline(admin.TabularInline):
    model = GradeChange
    extra = 0
    can_delete = False
    readonly_fields = [
        "part",
        "old_value",
        "new_value",
        "old_total",
        "new_total",
        "by",
        "at",
        "why",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Grade)
class GradeAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "student", "total", "late_penalty", "released_at"]
    list_filter = ["assignment__course", "assignment"]
    search_fields = ["student__username"]
    inlines = [GradeChangeInline]


@admin.register(Extension, CorrectionWindow, Accommodation, RegradeRequest)
class AdjustmentAdmin(ReadOnlyAdmin):
    pass
