from django import forms
from django.contrib import admin

from motcua.workflows.definitions import WorkflowDefinitionError, workflow_validate
from motcua.workflows.models import Workflow
from motcua.workflows.services import workflow_create


class WorkflowForm(forms.ModelForm):
    class Meta:
        model = Workflow
        fields = ["code", "name", "definition"]

    def clean_definition(self):
        definition = self.cleaned_data["definition"]
        try:
            workflow_validate(definition)
        except WorkflowDefinitionError as exc:
            raise forms.ValidationError(exc.errors) from exc
        return definition


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    form = WorkflowForm
    list_display = ["code", "version", "name", "created_at"]
    search_fields = ["code", "name"]
    readonly_fields = ["version", "created_at"]

    def save_model(self, request, obj, form, change):
        # Dossiers keep the workflow version they started with: an edit is saved as a
        # new version, never over the one in use.
        saved = workflow_create(code=obj.code, name=obj.name, definition=obj.definition)
        obj.pk, obj.version = saved.pk, saved.version

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.dossiers.exists()
