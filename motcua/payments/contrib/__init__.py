"""Payment methods shipped with motcua; each module registers one method."""

PLUGIN_MODULES = [
    "motcua.payments.contrib.vietqr.plugin",
    "motcua.payments.contrib.dvcqg.plugin",
    "motcua.payments.contrib.vnpay.plugin",
    "motcua.payments.contrib.payos.plugin",
    "motcua.payments.contrib.counter.plugin",
]
