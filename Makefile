# Beffroi — the two commands: `make demo` (set up + serve the embedded demo), `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
VENDOR := src/beffroi/web/static/vendor
STAMP_PY := $(VENV)/.installed
STAMP_JS := $(VENDOR)/.installed

.PHONY: demo test test-fast e2e bench quality setup system-deps assets messages clean

demo: setup
	$(BIN)/beffroi demo --port $(PORT)

setup: $(STAMP_PY) $(STAMP_JS)

$(STAMP_PY): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(STAMP_JS): package.json
	npm install --no-audit --no-fund --silent
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/leaflet $(VENDOR)/geoman $(VENDOR)/htmx $(VENDOR)/uplot $(VENDOR)/axe
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	cp node_modules/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js node_modules/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css $(VENDOR)/geoman/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/htmx-ext-sse/dist/sse.min.js $(VENDOR)/htmx/ 2>/dev/null || cp node_modules/htmx-ext-sse/sse.js $(VENDOR)/htmx/sse.min.js
	cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css $(VENDOR)/uplot/
	cp node_modules/axe-core/axe.min.js $(VENDOR)/axe/
	touch $@

assets: $(STAMP_JS)

# Chromium, pdftoppm and fonts for the tests (Debian packages): installed as root or with `sudo -n`,
# else one line says the command to run.
system-deps:
	bash scripts/system-deps.sh

# The whole suite: unit, integration (PostgreSQL/Redis when BEFFROI_DATABASE_URL/BEFFROI_REDIS_URL
# point at them) and end-to-end (Playwright driving /usr/bin/chromium).
test: setup system-deps
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

test-fast: setup system-deps
	$(BIN)/python -m pytest -p no:cacheprovider -m "not e2e" $(PYTEST_ARGS)

e2e: setup system-deps
	$(BIN)/python -m pytest -p no:cacheprovider -m e2e $(PYTEST_ARGS)

bench: setup
	mkdir -p bench/out
	$(BIN)/python -m bench $(BENCH)

quality: setup
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/beffroi
	$(BIN)/lint-imports
	$(BIN)/beffroi manage makemigrations --check --dry-run
	BEFFROI_MODE=server BEFFROI_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) BEFFROI_ALLOWED_HOSTS=beffroi.example.fr \
	  BEFFROI_REDIS_URL=redis://127.0.0.1:6379/0 BEFFROI_EMAIL_URL=smtp://127.0.0.1:25 \
	  BEFFROI_REGISTRY_KEY=$$(head -c 32 /dev/urandom | base64 | tr '+/' '-_') \
	  BEFFROI_PUBLIC_URL=https://beffroi.example.fr BEFFROI_SMS_URL=http://127.0.0.1:9/sms \
	  $(BIN)/beffroi manage check --deploy --fail-level WARNING

# Refresh the translation catalogues (needs GNU gettext); translate the new entries of the English
# catalogue, then compile. The compiled .mo files are committed so users need no gettext.
messages: setup
	cd src/beffroi && ../../$(BIN)/beffroi manage makemessages -l en --no-obsolete --ignore 'static/vendor/*'
	cd src/beffroi && ../../$(BIN)/beffroi manage compilemessages -l en

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
