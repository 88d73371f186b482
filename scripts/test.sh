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
# A short run of every fuzz harness (the long one is `make fuzz`): each parser meets a few thousand
# to a few hundred thousand mutated inputs, seeded from the fixtures and Fuzz/Corpus. Only for the
# whole suite, not for a filtered run. About a minute and a half on two cores, most of it compiling.
if [ $# -eq 0 ]; then
  bash scripts/fuzz.sh --seconds "${TEST_FUZZ_SECONDS:-5}"
fi
