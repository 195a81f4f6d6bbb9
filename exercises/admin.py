from django.contrib import admin

from exercises import models


@admin.register(models.Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "colour", "order"]


@admin.register(models.CoreCapability)
class CoreCapabilityAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


class ProtocolStepInline(admin.TabularInline):
    model = models.ProtocolStep
    extra = 0


@admin.register(models.Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "paper_section"]
    inlines = [ProtocolStepInline]


@admin.register(models.AttackTechnique)
class AttackTechniqueAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "framework", "framework_version"]
    list_filter = ["framework"]


class ScenarioInjectInline(admin.StackedInline):
    model = models.ScenarioInject
    extra = 0
    filter_horizontal = ["teams", "protocol_steps", "objectives", "techniques"]


@admin.register(models.Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["name", "updated_at"]
    inlines = [ScenarioInjectInline]


class ParticipantInline(admin.TabularInline):
    model = models.Participant
    extra = 0


@admin.register(models.Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ["name", "scenario", "status", "created_at"]
    list_filter = ["status"]
    inlines = [ParticipantInline]
    # The clock and status change only through the console (services write the journal).
    readonly_fields = ["status", "running_since", "elapsed_before_run", "started_at", "ended_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are never edited: responses (amended by new versions) and the journal."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = ["exercise", "team", "kind", "exercise_time", "version", "submitted_at"]
    list_filter = ["exercise", "team"]


@admin.register(models.Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = ["inject", "team", "exercise_time", "released_at"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "exercise", "kind", "actor", "object_type", "object_id"]
    list_filter = ["kind", "exercise"]
