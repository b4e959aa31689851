from django.contrib import admin

from .models import Assignment, Course, GradeComponent, Membership, Session


class ComponentInline(admin.TabularInline):
    model = GradeComponent
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["slug", "code", "title", "term"]
    inlines = [ComponentInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "role"]
    list_filter = ["course", "role"]
    search_fields = ["user__username", "user__email"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["course", "week", "starts_at", "topic", "kind"]
    list_filter = ["course", "kind"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["course", "slug", "title", "due_at", "late_allowed", "autograder"]
    list_filter = ["course", "kind"]
