"""Django's model backend, reading a signed-in citizen's profile with the user.

Every portal page a citizen opens while signed in reads their profile (the desk that
helps them is their commune's, forms are prefilled from it): joined to the user row the
session names, it costs no statement of its own (issue 14, query budgets in
tests/portal/test_query_budget.py). An official has no profile: the join finds none.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            user = model._default_manager.select_related(
                "citizen_profile__commune"
            ).get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
