"""The payment-method registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from motcua.payments.methods.base import Method


class Registry:
    def __init__(self) -> None:
        self._methods: dict[str, Method] = {}

    def __call__(self, cls: type[Method]) -> type[Method]:
        if cls.key in self._methods:
            raise ValueError(f"Payment method {cls.key!r} is already registered.")
        self._methods[cls.key] = cls()
        return cls

    def get(self, key: str) -> Method | None:
        return self._methods.get(key)

    def __iter__(self) -> Iterator[Method]:
        return iter(self._methods.values())

    def online(self) -> list[Method]:
        """The online methods whose settings are present, in registration order."""
        return [m for m in self._methods.values() if m.online and m.configured()]

    def replace(self, key: str, method: Method) -> Method | None:
        previous = self._methods.get(key)
        self._methods[key] = method
        return previous


registry = Registry()
register: Callable[[type[Method]], type[Method]] = registry
