# The README's commands. Each target works from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format bench emulator worker beat clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

var:
	mkdir -p var

run: $(BIN)/.installed var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  Support portal: http://127.0.0.1:$(PORT)/  (admin: http://127.0.0.1:$(PORT)/admin/)"
	@echo "  Logins (password portal-demo): alice@acme.test, bob@acme.test (Acme), carol@globex.test (Globex),"
	@echo "  admin@portal.test (staff)"
	@echo "  Single sign-on as the product would: DJANGO_DEBUG=true $(BIN)/python manage.py sso_token bob@acme.test  (prints a one-time sign-in link)"
	@echo ""
	@echo "  Delivery: a Celery worker and beat run alongside (manage.py run_embedded); both stop with it."
	@echo ""
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/python manage.py run_embedded 127.0.0.1:$(PORT)

test: $(BIN)/.installed var
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict plain_gateway
	$(BIN)/mypy

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BIN)/.installed var
	$(BIN)/python -m bench

emulator: $(BIN)/.installed var
	$(BIN)/python -m plain_gateway.emulator --port 8765 --data var/plain-emulator.sqlite3 --api-key $${PLAIN_API_KEY:-dev-key}

worker: $(BIN)/.installed
	$(BIN)/celery -A portal worker --loglevel=INFO

beat: $(BIN)/.installed var
	$(BIN)/celery -A portal beat --loglevel=INFO --schedule var/celerybeat-schedule

clean:
	rm -rf $(VENV) var
