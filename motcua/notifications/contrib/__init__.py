"""Channel plugins, one package per vendor; each `plugin` module registers itself."""

PLUGIN_MODULES = [
    "motcua.notifications.contrib.email.plugin",
    "motcua.notifications.contrib.sms.plugin",
    "motcua.notifications.contrib.zalo.plugin",
]
