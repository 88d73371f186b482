#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs, builds every product (the end-to-end tests
# run the built eipctl), then runs the unit, property and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
swift build
swift test "$@"
