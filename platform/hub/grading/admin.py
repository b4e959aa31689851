from django.contrib import admin

from .models import GradingJob, Report


@admin.register(GradingJob)
class GradingJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "assignment", "student", "status", "attempts", "queue", "queued_at", "finished_at"]
    list_filter = ["status", "queue", "assignment"]
    readonly_fields = ["seed"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["pk", "submission", "score", "max_score", "gradable", "created_at"]
