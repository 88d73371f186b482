#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs, builds every product (the end-to-end tests
# run the built eipctl), then runs the unit, property and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install-kubectl.sh   # for the emulator's kubectl faithfulness tests (best effort)
swift build
# Every test is written with Swift Testing; XCTest would only report "Executed 0 tests".
# Serially: the end-to-end tests block on real processes (curl, kubectl, eipctl) and would starve
# the two threads of Swift's cooperative pool on a 2-core machine, delaying the async client tests
# past their timing checks. Serial, the whole suite takes about 20 seconds.
swift test --disable-xctest --no-parallel "$@"
