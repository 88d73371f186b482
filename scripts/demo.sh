#!/usr/bin/env bash
# The main job on an embedded default: the real eip-operator, live on kube-emulator, scaling a pool
# of simulated Triton pods through a traffic spike (about 2 minutes; --speed changes that).
# Installs what building needs (libcurl and OpenSSL headers, with apt-get, when missing), builds
# eip-operator and eip-demo, then runs eip-demo with this script's arguments (--help lists them).
# Everything it starts is stopped when it ends, on Ctrl-C too; the plot is .build/demo/demo.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
EIP_DEPS=build
source scripts/env.sh
echo "demo: building eip-operator and eip-demo (the first build takes a few minutes)"
swift build --product eip-operator
swift build --product eip-demo
exec .build/debug/eip-demo "$@"
