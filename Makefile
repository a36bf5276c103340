# The two commands of README.md: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
INSTALLED = $(VENV)/.installed
SAO = var/sao/package/dist/tryton-sao.js
LEAFLET = var/leaflet/package/dist/leaflet.js

.PHONY: demo test install sao clean

demo: install sao
	$(BIN)/marcier demo $(ARGS)

test: install sao
	scripts/test $(ARGS)

install: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-cache-dir --no-deps -e .
	touch $@

sao: $(SAO) $(LEAFLET)

$(SAO):
	scripts/install-sao

$(LEAFLET):
	scripts/install-leaflet

clean:
	rm -rf $(VENV) var test-output
