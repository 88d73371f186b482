#!/usr/bin/env bash
# Removes eip-operator from the current cluster in the only order that leaves nothing behind:
#   1. every ElasticInferencePool, while the operator still runs, so its finalizer takes the
#      injected init containers back out of each Deployment (the pre-pull DaemonSets go with
#      their pools by garbage collection);
#   2. the admission webhook's configuration (so no pool write waits on a webhook that is going),
#      then the operator (its namespace, Deployment, PodDisruptionBudget, PriorityClass, RBAC);
#   3. the CRD.
# If the operator is already gone, step 1 waits until TIMEOUT and stops with the escape
# (remove the finalizer by hand); nothing is forced.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBECTL="${KUBECTL:-kubectl}"
TIMEOUT="${TIMEOUT:-120s}"
crd=elasticinferencepools.aiops.example.com

if $KUBECTL get crd "$crd" >/dev/null 2>&1; then
  echo "undeploy: deleting every ElasticInferencePool (the operator runs their finalizers)"
  if ! $KUBECTL delete elasticinferencepools --all --all-namespaces --wait=true --timeout="$TIMEOUT"; then
    cat >&2 <<TEXT
undeploy: pools are still there after $TIMEOUT: is the operator running (kubectl -n eip-system get pods)?
If it is gone for good, release each pool by hand, then take the init containers listed in its
Deployment's aiops.example.com/owned-init-containers annotation out of the pod template:
  $KUBECTL patch elasticinferencepool NAME -n NAMESPACE --type=merge -p '{"metadata":{"finalizers":null}}'
TEXT
    exit 1
  fi
fi
echo "undeploy: deleting the operator"
$KUBECTL delete -k config/webhook --ignore-not-found
$KUBECTL delete secret eip-operator-webhook-server-cert -n eip-system --ignore-not-found
$KUBECTL delete -k config/manager --ignore-not-found --wait=true
$KUBECTL delete -k config/rbac --ignore-not-found
echo "undeploy: deleting the CRD"
$KUBECTL delete -k config/crd --ignore-not-found
