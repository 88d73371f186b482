# eip-operator. `make help` lists the targets.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=
BIN := .build/debug

.PHONY: help deps demo build test bench fuzz samples validate-samples manifests install uninstall deploy undeploy build-installer \
	run emulator docker-build docker-push docker-buildx fmt lint clean

KUBECTL ?= kubectl
# One file or several, colon-separated, merged as kubectl merges them (KUBECONFIG's own form).
KUBECONFIG_FILE ?= $(or $(KUBECONFIG),$(HOME)/.kube/config)
# The operator image: `make deploy IMG=registry.example.com/eip-operator:v0.1.0`.
VERSION ?= 0.1.0
IMG ?= eip-operator:$(VERSION)
# docker-buildx: the platforms of GPU nodes (x86 servers, and arm64 for Grace Hopper).
PLATFORMS ?= linux/amd64,linux/arm64
CONTAINER_TOOL ?= docker

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

deps: ## Install the system packages the build and tests need (Debian)
	@bash scripts/install-deps.sh

DEMO_ARGS ?=
demo: ## The main job: the real operator on kube-emulator's simulated Triton pods through a traffic spike (DEMO_ARGS='--cold-start 120s')
	bash scripts/demo.sh $(DEMO_ARGS)

build: ## Build every product (debug; installs the build's packages when missing: libcurl and OpenSSL headers)
	@bash scripts/install-deps.sh build
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

test: ## Run the whole test suite (the README's test command)
	bash scripts/test.sh

bench: deps ## Print benchmark figures (release build; medians of many runs)
	$(SWIFT) build -c release
	.build/release/eip-bench

FUZZ_SECONDS ?= 120
fuzz: ## Fuzz every parser with libFuzzer, FUZZ_SECONDS each (YAML, JSON, thresholds, kubeconfig, HTTP, exposition); crashes fail
	bash scripts/fuzz.sh --seconds $(FUZZ_SECONDS)

samples: ## Validate the bundled samples, then dry-run reconciles (writes nothing)
	bash scripts/run-samples.sh

validate-samples: build ## Validate the samples only
	$(BIN)/eipctl validate -f Manifests/samples/

manifests: ## Copy CRDs/ into config/crd/bases and render Manifests/operator.yaml from config/ (tests check both)
	bash scripts/render-manifests.sh

install: ## Install the CRD into the current cluster
	$(KUBECTL) apply -k config/crd

uninstall: ## Remove the CRD (and with it every pool: run `make undeploy` instead while the operator runs)
	$(KUBECTL) delete -k config/crd --ignore-not-found

deploy: ## Install the CRD and the operator with image IMG (kustomize `images:`; config/ is not edited)
	$(KUBECTL) apply -k "$$(bash scripts/kustomize-image.sh $(IMG))"

undeploy: ## Remove pools first (the operator runs their finalizers), then the operator, then the CRD
	KUBECTL="$(KUBECTL)" bash scripts/undeploy.sh

build-installer: ## Render the whole install for image IMG into one file, dist/install.yaml
	mkdir -p dist
	$(KUBECTL) kustomize "$$(bash scripts/kustomize-image.sh $(IMG))" > dist/install.yaml
	@echo "dist/install.yaml: kubectl apply -f dist/install.yaml"

run: build ## Run the operator out of cluster against the current kubeconfig (static metrics: STATIC_METRICS='P90=250ms,gpu.util=91%')
	KUBECONFIG='$(KUBECONFIG_FILE)' $(BIN)/eip-operator --log-format text --metrics-bind-address 127.0.0.1:8080 \
	  --health-probe-bind-address 127.0.0.1:8081 --webhook-bind-address 127.0.0.1:9443 \
	  $(if $(STATIC_METRICS),--static-metrics '$(STATIC_METRICS)')

emulator: build ## Start kube-emulator on 127.0.0.1:6443 (plain HTTP) and write .build/emulator.kubeconfig
	$(BIN)/kube-emulator --listen 127.0.0.1:6443 --kubeconfig-out .build/emulator.kubeconfig --pod-start-delay 2s

DOCKER_BUILD_ARGS = --build-arg VERSION=$(VERSION) --build-arg REVISION=$$(git rev-parse HEAD 2>/dev/null || echo unknown) \
	--build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ) --build-arg SWIFT_VERSION=$$(cat .swift-version)

docker-build: ## Build the operator image IMG for this machine's platform (needs a Docker engine)
	$(CONTAINER_TOOL) build $(DOCKER_BUILD_ARGS) -t $(IMG) .

docker-push: ## Push the operator image IMG
	$(CONTAINER_TOOL) push $(IMG)

docker-buildx: ## Build and push IMG for PLATFORMS (linux/amd64,linux/arm64) with docker buildx
	- $(CONTAINER_TOOL) buildx create --name eip-operator-builder
	$(CONTAINER_TOOL) buildx use eip-operator-builder
	$(CONTAINER_TOOL) buildx build --push --platform=$(PLATFORMS) $(DOCKER_BUILD_ARGS) --tag $(IMG) .
	- $(CONTAINER_TOOL) buildx rm eip-operator-builder

fmt: ## Format the Swift sources with the toolchain's swift-format (.swift-format holds the style)
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

lint: ## Report formatting and lint findings (swift-format lint), changing nothing
	$(SWIFT) format lint --recursive Package.swift Sources Tests

clean: ## Remove build products
	rm -rf .build dist
