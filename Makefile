# eip-operator. `make help` lists the targets.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=
BIN := .build/debug

.PHONY: help deps build test bench fuzz samples validate-samples install deploy run emulator docker-build clean

KUBECTL ?= kubectl
KUBECONFIG_FILE ?= $(or $(KUBECONFIG),$(HOME)/.kube/config)
IMAGE ?= eip-operator:0.1.0

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

deps: ## Install the system packages the build and tests need (Debian)
	@bash scripts/install-deps.sh

build: deps ## Build every product (debug)
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

test: ## Run the whole test suite (the README's test command)
	bash scripts/test.sh

bench: deps ## Print benchmark figures (release build; medians of many runs)
	$(SWIFT) build -c release
	.build/release/eip-bench

FUZZ_SECONDS ?= 120
fuzz: ## Fuzz every parser with libFuzzer, FUZZ_SECONDS each (YAML, JSON, thresholds, kubeconfig, HTTP, exposition); crashes fail
	bash scripts/fuzz.sh --seconds $(FUZZ_SECONDS)

samples: ## The main job on the bundled samples: validate them, then dry-run reconciles
	bash scripts/run-samples.sh

validate-samples: build ## Validate the samples only
	$(BIN)/eipctl validate -f Manifests/samples/

install: ## Install the CRD into the current cluster
	$(KUBECTL) apply -f CRDs/

deploy: install ## Install the CRD and deploy the operator (Manifests/operator.yaml)
	$(KUBECTL) apply -f Manifests/operator.yaml

run: build ## Run the operator out of cluster against the current kubeconfig (static metrics: STATIC_METRICS='P90=250ms,gpu.util=91%')
	$(BIN)/eip-operator --kubeconfig $(KUBECONFIG_FILE) --log-format text --metrics-bind-address 127.0.0.1:8080 \
	  --health-probe-bind-address 127.0.0.1:8081 $(if $(STATIC_METRICS),--static-metrics '$(STATIC_METRICS)')

emulator: build ## Start kube-emulator on 127.0.0.1:6443 (plain HTTP) and write .build/emulator.kubeconfig
	$(BIN)/kube-emulator --listen 127.0.0.1:6443 --kubeconfig-out .build/emulator.kubeconfig --pod-start-delay 2s

docker-build: ## Build the operator image (needs a Docker engine)
	docker build -t $(IMAGE) .

clean: ## Remove build products
	rm -rf .build
