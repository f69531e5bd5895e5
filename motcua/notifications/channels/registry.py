"""The channel registry (the Open Forms plugin pattern, in small)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from motcua.notifications.channels.base import Channel


class Registry:
    def __init__(self) -> None:
        self._plugins: dict[str, Channel] = {}

    def __call__(self, plugin_id: str) -> Callable[[type[Channel]], type[Channel]]:
        def decorator(cls: type[Channel]) -> type[Channel]:
            if plugin_id in self._plugins:
                raise ValueError(f"Channel {plugin_id!r} is already registered.")
            cls.id = plugin_id
            self._plugins[plugin_id] = cls()
            return cls

        return decorator

    def get(self, plugin_id: str) -> Channel | None:
        return self._plugins.get(plugin_id)

    def __iter__(self) -> Iterator[Channel]:
        return iter(self._plugins.values())

    def __contains__(self, plugin_id: object) -> bool:
        return plugin_id in self._plugins

    def replace(self, plugin_id: str, plugin: Channel) -> Channel | None:
        """Swap a plugin (tests); returns the previous one."""
        previous = self._plugins.get(plugin_id)
        self._plugins[plugin_id] = plugin
        return previous


registry = Registry()
