#!/usr/bin/env bash
# The main job on the bundled samples: validate every manifest in Manifests/samples/, then show
# what the operator would do for each sample pool (eipctl reconcile --dry-run), writing nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
EIP_DEPS=build   # the samples need only what building needs (no Prometheus, no cluster)
source scripts/env.sh
swift build --product eipctl
eipctl=.build/debug/eipctl
run() { echo "\$ eipctl $*"; "$eipctl" "$@"; echo; }

run validate -f Manifests/samples/
# The seed pool: GPUs hot and P90 under 200 ms, so its (inverted) scale-up rule fires.
run reconcile --dry-run -f Manifests/samples/llm-finetune-v3.yaml --metrics 'P90=150ms,gpu.util=91%' --now 2026-11-27T10:00:00Z
# The Triton pool against its Deployment: P90 past saturation (calibration data: seconds past the knee).
run reconcile --dry-run -f Manifests/samples/bert-triton-pool.yaml --deployment Manifests/samples/bert-triton-deployment.yaml \
  --metrics 'P90=480ms,gpu.util=58%' --now 2026-11-27T10:00:00Z
# The Prometheus pool on Triton's default counters: a mean latency past 40 ms scales it up.
run reconcile --dry-run -f Manifests/samples/resnet-prometheus-pool.yaml --metrics 'mean=55ms,gpu.util=60%,qps=300' --now 2026-11-27T10:00:00Z
