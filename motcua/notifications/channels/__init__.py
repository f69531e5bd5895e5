"""Delivery channels as plugins: a typed base class and a registry keyed by channel id.

One module per vendor lives under motcua.notifications.contrib.<channel>; importing it
registers the plugin (the app's ready() imports them all).
"""

from motcua.notifications.channels.base import Channel, Outcome, ProviderResult
from motcua.notifications.channels.registry import registry

__all__ = ["Channel", "Outcome", "ProviderResult", "registry"]
