"""Django's model backend, reading a signed-in citizen's profile with the user.

Every portal page a citizen opens while signed in reads their profile (the desk that
helps them is their commune's, forms are prefilled from it): joined to the user row the
session names, it costs no statement of its own (issue 14, query budgets in
tests/portal/test_query_budget.py). An official has no profile: the join finds none.
The statement is compiled once per connection (motcua.core.reads).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from motcua.core.reads import KeyRead

_user_by_pk = KeyRead(
    lambda pk: get_user_model()._default_manager.select_related("citizen_profile__commune")
    .filter(pk=pk)
)


class AccountBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):  # a session naming no integer id
            return None
        user = _user_by_pk.one(pk=pk)
        return user if user is not None and self.user_can_authenticate(user) else None
