"""Payment through the national public-service portal's payment platform (DVCQG / PayGov).

`fields` holds the wire format, `plugin` the method, `simulator` a local platform.
"""
