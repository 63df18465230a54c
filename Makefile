# The README's commands. `make run` and `make test` do all the set-up on a fresh machine.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench migrate makemigrations demo i18n clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)  ## install, migrate the SQLite database, start the bot (and workers, jobs)
	$(BIN)/crm db migrate
	$(BIN)/crm run

test: $(STAMP)  ## the whole suite (PostgreSQL too when CRM_TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrate: $(STAMP)
	$(BIN)/crm db migrate

demo: $(STAMP)
	$(BIN)/crm db migrate
	$(BIN)/crm demo seed

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

i18n: $(STAMP)  ## refresh the catalogues after adding strings
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k gettext -k ngettext:1,2 -k _ -o locales/crm.pot --no-location --sort-output --ignore-dirs=".venv data" .
	$(BIN)/pybabel update -i locales/crm.pot -d locales -D crm --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

makemigrations: $(STAMP)  ## after changing models: make makemigrations NAME=what_changed
	PYTHONPATH=. $(BIN)/tortoise -c core.tortoise_cli.TORTOISE_ORM makemigrations --name $(NAME)
