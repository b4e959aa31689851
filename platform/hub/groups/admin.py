from django.contrib import admin

from .models import (
    Group,
    GroupGrade,
    GroupMembership,
    GroupSet,
    MemberAdjustment,
    PresentationSlot,
    SlotAssignment,
)


class MembershipInline(admin.TabularInline):
    model = GroupMembership
    extra = 0
    raw_id_fields = ["student", "added_by"]
    readonly_fields = ["group_set"]


@admin.register(GroupSet)
class GroupSetAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "kind", "min_size", "max_size", "signup_closes_at"]
    list_filter = ["course", "kind"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    # Changes that must keep the invariants (sizes, one paper per group, emails) go through the
    # groups pages; the admin is for looking.
    list_display = ["name", "group_set", "topic_kind", "paper_title", "survey_area"]
    list_filter = ["group_set"]
    search_fields = ["name", "paper_title", "survey_area"]
    readonly_fields = ["topic_key", "paper_url_key"]
    inlines = [MembershipInline]


admin.site.register([PresentationSlot, SlotAssignment, GroupGrade, MemberAdjustment])
