# terraform-provider-podidentity
#
#   make demo     build, start the local AWS stack and run the blue/green story end to end
#   make test     install what is missing, build, run the unit and acceptance tests
#   make install  build a release binary and install it where terraform finds it
#   make lint     rustfmt check and clippy with warnings as errors (CI runs it before make test)
#
# Everything the tests need is installed by these targets: protoc (Debian's protobuf-compiler,
# needed to build tf-provider) and a project-local Python virtualenv with moto for IAM and STS.
# The terraform CLI (1.11 or later) must be on PATH; the acceptance tests fail, loudly, without it.

SHELL        := /bin/bash
CARGO        ?= cargo
PYTHON       ?= python3
VENV         ?= .venv
TARGET_DIR   := $(or $(CARGO_TARGET_DIR),target)
DEBUG_BIN    := $(TARGET_DIR)/debug/terraform-provider-podidentity
RELEASE_BIN  := $(TARGET_DIR)/release/terraform-provider-podidentity
VERSION      := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
OS_ARCH      := $(shell uname -s | tr A-Z a-z)_$(shell uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')
PLUGIN_DIR   ?= $(HOME)/.terraform.d/plugins/registry.terraform.io/podidentity/podidentity/$(VERSION)/$(OS_ARCH)
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build test unit acceptance demo install venv deps lint fmt bench clean

all: build

## Tools the build and the tests need.
deps:
	@command -v protoc >/dev/null 2>&1 || { \
	  echo "==> installing protoc (Debian package protobuf-compiler)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq protobuf-compiler >/dev/null; }

venv: $(VENV)/.installed

$(VENV)/.installed: acceptance-tests/moto/requirements.txt
	@echo "==> creating $(VENV) with moto (IAM and STS for the tests)"
	@[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check -r acceptance-tests/moto/requirements.txt
	@touch $@

build: deps
	$(CARGO) build --workspace --all-targets

## Unit tests and acceptance tests (terraform + moto + the EKS emulator), one build.
test: deps venv
	$(CARGO) build --workspace --all-targets
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  PODIDENTITY_PROVIDER_BIN=$(abspath $(DEBUG_BIN)) PODIDENTITY_VENV=$(abspath $(VENV)) \
	    $(CARGO) nextest run --workspace --no-fail-fast; \
	else \
	  PODIDENTITY_PROVIDER_BIN=$(abspath $(DEBUG_BIN)) PODIDENTITY_VENV=$(abspath $(VENV)) \
	    $(CARGO) test --workspace --no-fail-fast -- --test-threads 4; \
	fi

unit: deps
	$(CARGO) test --workspace --lib --bins

## The blue/green story against the local stack (moto + EKS emulator), start to finish.
demo: deps venv
	@$(CARGO) build --quiet -p terraform-provider-podidentity -p podidentity-acceptance-tests --bins
	@PODIDENTITY_PROVIDER_BIN=$(abspath $(DEBUG_BIN)) PODIDENTITY_VENV=$(abspath $(VENV)) \
	  $(TARGET_DIR)/debug/demo

install: deps
	$(CARGO) build --release -p terraform-provider-podidentity
	@mkdir -p "$(PLUGIN_DIR)"
	cp $(RELEASE_BIN) "$(PLUGIN_DIR)/terraform-provider-podidentity_v$(VERSION)"
	@echo "installed $(PLUGIN_DIR)/terraform-provider-podidentity_v$(VERSION)"
	@echo "use it with: required_providers { podidentity = { source = \"podidentity/podidentity\", version = \"$(VERSION)\" } }"

## Figures: startup to handshake, memory while planning, binary size (acceptance-tests/src/bin/bench.rs).
bench: deps venv
	@$(CARGO) build --quiet --release -p terraform-provider-podidentity
	@PODIDENTITY_PROVIDER_BIN=$(abspath $(RELEASE_BIN)) PODIDENTITY_VENV=$(abspath $(VENV)) \
	  $(CARGO) run --quiet --profile bench-harness -p podidentity-acceptance-tests --bin bench

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf $(VENV)
