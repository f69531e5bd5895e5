"""Settings for the test suite: the real ones, minus what only slows tests down."""

import atexit
import shutil
import tempfile

from motcua.settings import *  # noqa: F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY["immediate"] = True  # noqa: F405
# Uploads go to a folder of this test process (each xdist worker has its own), not var/.
MEDIA_ROOT = tempfile.mkdtemp(prefix="motcua-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
# Every request closes its connection: live_server answers each request in a new thread,
# and a connection kept for reuse by a thread that has ended would stay open until the
# test database is dropped (PostgreSQL then refuses: "being accessed by other users").
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
