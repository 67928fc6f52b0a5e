# patchpilot: `make run` opens the TUI (on a demo kernel tree unless TREE=/path/to/linux),
# `make test` runs every test. Both set up .venv and the system packages they need first.
# `make test-fast` runs the unit tests only (no kernel tree, no server); `make lint` runs ruff,
# mypy and the import-layer contract; `make man` writes man/patchpilot.1 from the parser.

VENV   := .venv
PYTHON ?= python3
TREE   ?=

.PHONY: run test test-fast lint bench bench-build man sysdeps venv clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

sysdeps:
	@bash .ci/system-packages

run: sysdeps venv
	@if [ -n "$(TREE)" ]; then \
		$(VENV)/bin/patchpilot -C "$(TREE)"; \
	else \
		tree=$$($(VENV)/bin/python -m patchpilot.demo) && $(VENV)/bin/patchpilot -C "$$tree"; \
	fi

test: sysdeps venv
	$(VENV)/bin/pytest -q -n auto --dist loadfile

test-fast: venv
	$(VENV)/bin/pytest -q -m unit

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: sysdeps venv
	$(VENV)/bin/python bench/run.py
	$(VENV)/bin/python bench/bench_startup.py

# patchpilot build against plain make on the 7.3 tree (about 20 minutes: two cold builds)
bench-build: sysdeps venv
	$(VENV)/bin/python bench/bench_build.py

# the man page from the command-line parser (tests/cli/test_manpage.py says when it is stale)
man: venv
	$(VENV)/bin/python -m patchpilot.cli.manpage > man/patchpilot.1

clean:
	rm -rf $(VENV) build *.egg-info
