# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test suite lint bench load fuzz faults install

# The packages are installed by uv: 11 s from a fresh clone where pip took 22 s (7 s of CPU
# against 17 s), the same 104 packages at the same versions (bench/test-suite.md); the install
# is the one step of `make test` from a fresh clone that nothing runs beside. pip stays in the
# environment for anyone who uses it. Nothing is compiled to bytecode at install: the packages
# hold about 100 MB of Python (18 s of CPU to compile), of which the whole suite imports a
# third; each module is compiled when a process first imports it, and the targets below keep
# what they compile (bench/test-suite.md).
$(BIN)/motcua: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'uv>=0.13,<0.14'
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(BIN)/motcua

install: $(BIN)/motcua

run: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/motcua serve

lint: install
	$(BIN)/ruff check bot dialogs knowledge integrations tests bench
	$(BIN)/ruff format --check bot dialogs knowledge integrations tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# The lint runs beside the tests (mypy from a fresh clone keeps a core busy for about 15 s, as
# long as the test workers spend waiting in that time); either failing fails `make test`.
test: install
	$(MAKE) --no-print-directory -j2 lint suite

# Three test workers for every two cores (tests/conftest.py says why; each worker has its own
# PostgreSQL database and Redis key prefix). Bytecode is kept even where PYTHONDONTWRITEBYTECODE
# is set (Python's container images set it): otherwise every `motcua` process a test starts
# compiles all of bot/ from source again, and each pytest worker rewrites every test module's
# assertions again on every run.
suite: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n auto

bench: install
	$(BIN)/python -m bench.search

# 200 citizens at once on two workers over PostgreSQL and Redis (needs MOTCUA_TEST_POSTGRES_URL
# and MOTCUA_TEST_REDIS_URL); `python -m bench.load` is the full-size run with its table.
load: install
	$(BIN)/pytest -m load

# Every HTTP route fuzzed with 10,000 cases each (make test runs 200); prints statuses per route.
fuzz: install
	MOTCUA_FUZZ_EXAMPLES=10000 $(BIN)/pytest tests/http_edge/test_fuzz_routes.py -q

# Two real workers on PostgreSQL and Redis, one killed (SIGKILL) while messages are in flight on
# every channel and while it holds a conversation lock; Redis and PostgreSQL (servers of the
# test's own) stopped and started again and Telegram refusing while citizens write; all of it in
# turn under the load of 40 citizens, each failure checked in the processes' /metrics
# (`python -m bench.load --faults --users 1000 --duration 600` at full size). Needs the
# PostgreSQL and Redis test URLs, redis-server, and PostgreSQL's pg_ctl.
faults: install
	$(BIN)/pytest -m faults tests/faults -q
