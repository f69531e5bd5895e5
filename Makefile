# Two commands do all the set-up on a fresh machine with python3 and make:
#   make demo   – virtualenv, migrations, Lào Cai demo data, web server + worker on :8000
#   make test   – the whole test suite (installs Debian's chromium for the browser tests
#                 and starts Debian's redis-server for the Redis tests)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes for `make test` (pytest-xdist): one per CPU; 0 runs the suite in one process.
TEST_WORKERS ?= auto

.PHONY: demo test lint messages bench clean system-libs chromium redis

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# WeasyPrint (PDF slips) needs Pango and HarfBuzz from Debian; install them when missing.
SYSTEM_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
system-libs:
	@ldconfig -p | grep -q libpangoft2-1.0 && ldconfig -p | grep -q libharfbuzz-subset || { \
	  echo "Installing $(SYSTEM_LIBS) for PDF slips"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_LIBS) >/dev/null; }

# Browser tests drive Debian's chromium; install it when missing (needs root, as on CI).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

# The tests run production's cache and Huey queue on a real Redis (db 15; see
# tests/redis_support.py): when nothing answers on 127.0.0.1:6379, install Debian's
# redis-server if missing (needs root, as on CI) and start it, in memory only.
REDIS_UP := test "$$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG
redis:
	@$(REDIS_UP) || { \
	  command -v redis-server >/dev/null 2>&1 || { \
	    echo "Installing Debian's redis-server for the Redis tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }; \
	  $(REDIS_UP) || { echo "Starting redis-server on 127.0.0.1:6379"; \
	    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null; }; \
	  for _ in $$(seq 1 50); do $(REDIS_UP) && exit 0; sleep 0.2; done; \
	  echo "redis-server does not answer on 127.0.0.1:6379" >&2; exit 1; }

demo: $(VENV)/.runtime system-libs
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	$(PY) manage.py collectstatic --no-input --verbosity 0
	@echo "Mã xác thực hai bước của cán bộ demo (two-step sign-in codes): $(PY) manage.py demo_codes [tên đăng nhập]"
	$(PY) manage.py demo_server --host $(HOST) --port $(PORT)

test: $(VENV)/.dev system-libs chromium redis
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

messages: $(VENV)/.dev
	cd motcua && ../$(PY) ../manage.py makemessages -l vi -l en --no-location
	cd motcua && ../$(PY) ../manage.py compilemessages

bench: $(VENV)/.dev
	$(PY) bench/search.py

clean:
	rm -rf $(VENV) var
