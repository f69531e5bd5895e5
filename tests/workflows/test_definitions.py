import copy

import pytest
from django.utils import translation

from motcua.workflows.definitions import (
    COMMUNE_DEFINITION,
    CONSULTATION_DEFINITION,
    WorkflowDefinitionError,
    workflow_validate,
)
from motcua.workflows.services import workflow_create, workflows_ensure_shipped


def test_shipped_definitions_are_valid():
    workflow_validate(COMMUNE_DEFINITION)
    workflow_validate(CONSULTATION_DEFINITION)


def broken(**changes):
    definition = copy.deepcopy(COMMUNE_DEFINITION)
    for path, value in changes.items():
        target = definition
        *parents, last = path.split("__")
        for key in parents:
            target = target[key]
        target[last] = value
    return definition


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("not a dict", "must be an object"),
        (broken(start="nowhere"), "'start' must name one of the steps"),
        (broken(states__appraising__status=9), "'status' must be 2"),
        (broken(states__appraising__role="janitor"), "'role' must be one of"),
        (broken(states__appraising__sla_share=1.5), "'sla_share'"),
        (broken(actions__propose__to="limbo"), "'to' must be a step"),
        (broken(actions__propose__from=["limbo"]), "'from' must list steps"),
        (broken(actions__approve__roles=[]), "'roles' must list known roles"),
        (broken(states__decided={"label": "x", "status": 4, "role": "approver"}), "built-in"),
        (broken(actions__approve__to="appraising"), "leads from 'start' to 'decided'"),
    ],
)
def test_invalid_definitions_name_the_problem(definition, message):
    with translation.override("en"), pytest.raises(WorkflowDefinitionError) as exc:
        workflow_validate(definition)
    assert message in str(exc.value)


@pytest.mark.django_db
def test_a_changed_definition_is_a_new_version_and_the_same_one_is_not():
    first, second = workflows_ensure_shipped()
    assert (first.version, second.version) == (1, 1)
    assert workflows_ensure_shipped()[0].pk == first.pk
    changed = broken(states__approving__sla_share=0.25)
    new = workflow_create(code=first.code, name=first.name, definition=changed)
    assert new.version == 2 and new.pk != first.pk
    first.refresh_from_db()
    assert first.definition == COMMUNE_DEFINITION
    with pytest.raises(WorkflowDefinitionError):
        workflow_create(code="x", name="x", definition=broken(start="nowhere"))
