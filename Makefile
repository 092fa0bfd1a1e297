# The two commands a newcomer needs: `make run` and `make test`. Each sets up .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXAMPLES := $(sort $(wildcard examples/*.json))
WEB_STATIC := src/prevent_ig/entrypoints/web/static
FRONTEND := $(WEB_STATIC)/build/.stamp

.PHONY: run totp examples system-libraries test lint typecheck unit bench mutants clean schema frontend screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The NHS.UK frontend comes from npm and is compiled here, never committed. Its web font would come
# from a CDN, so the Sass is built without it (the frontend's fallback fonts are used).
$(FRONTEND): frontend/package.json frontend/package-lock.json frontend/styles/app.scss
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(WEB_STATIC)/build $(WEB_STATIC)/nhsuk
	cd frontend && npx sass --pkg-importer=node --style=compressed --no-source-map --quiet-deps \
		styles/app.scss ../$(WEB_STATIC)/build/app.css
	cp frontend/node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend-*.min.js $(WEB_STATIC)/nhsuk/nhsuk-frontend.min.js
	rm -rf $(WEB_STATIC)/nhsuk/assets && cp -r frontend/node_modules/nhsuk-frontend/dist/nhsuk/assets $(WEB_STATIC)/nhsuk/
	@touch $@

frontend: $(FRONTEND)

## run: migrate the embedded SQLite database, load synthetic demo data and users, serve the web app
## (with the mail worker delivering to a local sink whose messages stay in data/mail-sink)
DEMO := PREVENT_IG_WEB_DEMO_MODE=true PREVENT_IG_SMTP_FROM_ADDRESS=prevent.lead@demo-trust.nhs.uk
run: $(STAMP) $(FRONTEND) system-libraries
	$(DEMO) $(BIN)/prevent-ig demo setup
	@echo "Serving on http://127.0.0.1:8000 (demo mode). One-time codes: make totp USER=demo.lead. Start again: rm -rf data"
	$(DEMO) $(BIN)/prevent-ig mail worker --demo-sink data/mail-sink & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(DEMO) $(BIN)/prevent-ig serve

# PDF rendering (WeasyPrint) needs Pango and a font; Debian 12 images of this kind have them. Installed
# here when missing and we may (root), otherwise we say what to install.
system-libraries:
	@if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || [ ! -d /usr/share/fonts/truetype/dejavu ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; \
		else \
			echo "Install PDF libraries first: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; \
			exit 1; \
		fi; \
	fi

## totp: print a demo user's current one-time code (demo mode only), e.g. make totp USER=demo.lead
totp: $(STAMP)
	@PREVENT_IG_WEB_DEMO_MODE=true $(BIN)/prevent-ig demo totp $(USER)

## examples: assess the bundled synthetic example cases and print each decision
## (decided on EXAMPLES_DAY, so they read the same whenever they run and no request arrives after it)
EXAMPLES_DAY := 2026-12-22
examples: $(STAMP)
	@for f in $(EXAMPLES); do \
		echo "=== $$f"; \
		$(BIN)/prevent-ig assess "$$f" --config examples/engine-config.yaml --today $(EXAMPLES_DAY) || exit $$?; \
		echo; \
	done

## test: lint, type-check and run the whole test suite
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(FRONTEND) system-libraries
	$(BIN)/pytest

## screenshots: refresh docs/screenshots from the browser tests (an ordinary test run leaves them alone)
screenshots: $(STAMP) $(FRONTEND) system-libraries
	PREVENT_IG_SCREENSHOTS=1 $(BIN)/pytest tests/e2e

## bench: the benchmarks (kept out of `make test` and CI)
bench: $(STAMP)
	$(BIN)/python bench/assess.py

## mutants: mutation testing of the rules (engine, pathway, calendar; about 10 minutes on 2 cores),
## kept out of `make test` and CI; lists the mutants that no test noticed
mutants: $(STAMP)
	$(BIN)/mutmut run; status=$$?; $(BIN)/mutmut results; exit $$status

## schema: refresh the committed JSON Schemas after changing the contract models
schema: $(STAMP)
	$(BIN)/prevent-ig schema > docs/schema/assessment.schema.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
