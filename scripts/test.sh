#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs, builds every product (the end-to-end tests
# run the built eipctl), then runs the unit, property and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install-kubectl.sh   # for the emulator's kubectl faithfulness tests (best effort)
swift build
# Every test is written with Swift Testing; XCTest would only report "Executed 0 tests". In
# parallel: tests that block on real processes (curl, kubectl, eipctl, prometheus) run on threads of
# their own (the `.runsOnOwnThreads` trait, Tests/TestSupport/OwnThreads.swift), never on Swift's
# cooperative pool, and the controller's time comes from a manual clock, not sleeps. At most 16
# tests at once (Swift Testing starts every test at once otherwise): the suite takes as long (its
# longest test, the demo, sets the pace) without a first burst of a few hundred emulators, exporters
# and kubectl runs that starved the tests beside them on two cores.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${TEST_PARALLELISM:-16}"
swift test --disable-xctest "$@"
# A short run of every fuzz harness (the long one is `make fuzz`): each parser meets a few thousand
# to a few hundred thousand mutated inputs, seeded from the fixtures and Fuzz/Corpus. Only for the
# whole suite, not for a filtered run. About a minute and a half on two cores, most of it compiling.
if [ $# -eq 0 ]; then
  bash scripts/fuzz.sh --seconds "${TEST_FUZZ_SECONDS:-5}"
fi
