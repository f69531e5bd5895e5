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
