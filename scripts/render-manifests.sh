#!/usr/bin/env bash
# `make manifests`: brings the two copies in line with their sources.
#   CRDs/*.yaml (hand-written)       -> config/crd/bases/ (kustomize loads files only from below its folder)
#   config/ minus the CRD (rendered) -> Manifests/operator.yaml (for `kubectl apply -f` without kustomize)
# With --check it changes nothing and exits 1 when either copy is out of date (the tests run that).
set -euo pipefail
cd "$(dirname "$0")/.."
check=false
[ "${1:-}" = "--check" ] && check=true
KUBECTL="${KUBECTL:-$(command -v kubectl || echo .build/tools/kubectl/bin/kubectl)}"
if ! command -v "$KUBECTL" >/dev/null; then
  bash scripts/install-kubectl.sh
  KUBECTL=.build/tools/kubectl/bin/kubectl
fi

render_operator() {
  echo "# eip-operator: namespace, service account, least-privilege RBAC, the controller Deployment"
  echo "# (2 replicas, leader election), its PodDisruptionBudget and PriorityClass, a Service for its"
  echo "# metrics, and its admission webhook (ValidatingWebhookConfiguration and Service). Rendered from"
  echo "# config/ by \`make manifests\` (do not edit here). Apply after CRDs/, then make the webhook's"
  echo "# certificate (the pods wait for its Secret; or use cert-manager, docs/install.md):"
  echo "#   kubectl apply -f CRDs/ && kubectl apply -f Manifests/operator.yaml && bash scripts/webhook-certs.sh"
  "$KUBECTL" kustomize config/default | python3 -c '
import sys
docs = sys.stdin.read().split("\n---\n")
print("\n---\n".join(d for d in docs if "\nkind: CustomResourceDefinition\n" not in "\n" + d + "\n"), end="")'
}

if $check; then
  stale=0
  for f in CRDs/*.yaml; do
    cmp -s "$f" "config/crd/bases/$(basename "$f")" || { echo "render-manifests: config/crd/bases/$(basename "$f") differs from $f; run make manifests" >&2; stale=1; }
  done
  render_operator | cmp -s - Manifests/operator.yaml || { echo "render-manifests: Manifests/operator.yaml is not what config/ renders; run make manifests" >&2; stale=1; }
  exit $stale
fi
cp CRDs/*.yaml config/crd/bases/
render_operator > Manifests/operator.yaml
echo "render-manifests: config/crd/bases/ and Manifests/operator.yaml are up to date"
