# Two commands on a fresh machine: `make run` and `make test` (README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := -e libs/common[embedded] -e services/registry -e services/certification \
	-e services/funding -e services/finance-matching -e services/complaints -e deploy/embedded

.PHONY: install install-dev run test lint typecheck gateway-deps cjk-font clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9

install: $(BIN)/uv
	$(BIN)/uv pip install --quiet -p $(BIN)/python -c constraints.txt $(PACKAGES)

install-dev: install
	$(BIN)/uv pip install --quiet -p $(BIN)/python -c constraints.txt -r requirements-dev.txt

## Start the whole platform on http://127.0.0.1:8000 (embedded PostgreSQL and Tansu; state in var/).
run: install
	@$(MAKE) --no-print-directory cjk-font || echo "the platform runs; only the PDF certificates answer 503 until the font is there"
	$(BIN)/python -m sme_embedded run

## nginx (Debian package) for the gateway topology test (/usr/sbin is not on an ordinary user's PATH).
gateway-deps:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || ( (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null ) || ( echo "could not install nginx" && exit 1 )

## The CJK font the PDF certificates are set in (Debian's fonts-wqy-zenhei; installing needs root).
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
cjk-font:
	@test -f $(CJK_FONT) || ( test "$$(id -u)" = 0 && (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei >/dev/null ) || ( echo "the PDF certificates need a CJK font: run 'sudo apt-get install fonts-wqy-zenhei' (or set SME_CERTIFICATION_CJK_FONT_PATH)" && exit 1 )

## Install and run every test (real PostgreSQL and a real Kafka-protocol broker).
test: install-dev gateway-deps cjk-font
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy libs/common/src services/*/src deploy/embedded/src

## As root in a directory the postgres user cannot enter, var/postgres links to its cluster in /var/tmp.
clean:
	if [ -L var/postgres ]; then rm -rf "$$(readlink var/postgres)"; fi
	rm -rf $(VENV) var
