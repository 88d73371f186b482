# eip-operator. `make help` lists the targets.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=
BIN := .build/debug

.PHONY: help deps build test bench samples validate-samples clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

deps: ## Install the system packages the build and tests need (Debian)
	@bash scripts/install-deps.sh

build: deps ## Build every product (debug)
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

test: ## Run the whole test suite (the README's test command)
	bash scripts/test.sh

bench: deps ## Print benchmark figures (release build; medians of many runs)
	$(SWIFT) build -c release --product eip-bench
	.build/release/eip-bench

samples: ## The main job on the bundled samples: validate them, then dry-run reconciles
	bash scripts/run-samples.sh

validate-samples: build ## Validate the samples only
	$(BIN)/eipctl validate -f Manifests/samples/

clean: ## Remove build products
	rm -rf .build
