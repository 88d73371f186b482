#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Fuzz/ and runs each for a bounded time, seeded from the test
# fixtures and the minimized corpora kept in Fuzz/Corpus. A crash, a hang, a memory error or a
# broken round trip fails the run and leaves the input in .build/fuzz/crashes/; make it a test.
#
#   scripts/fuzz.sh [--seconds N] [--opt -O|-Onone] [--minimize] [HARNESS ...]
#
# HARNESS is any of: exposition yaml json threshold kubeconfig http (default: all).
# --seconds: per harness (default $FUZZ_SECONDS, else 120). --opt: the optimisation the harnesses
# are built with (default -O: a third of the build time is worth 3-8 times the inputs per second).
# New inputs libFuzzer finds go to .build/fuzz/corpus/HARNESS. --minimize, instead of fuzzing,
# folds those into the kept corpus (Fuzz/Corpus/HARNESS): the fewest inputs of at most 512 bytes
# that reach every code edge the two reach together (libFuzzer's set-cover merge), plus the
# hand-written seed-* files; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swiftc >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swiftc ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi

seconds="${FUZZ_SECONDS:-120}"
opt="-O"
minimize=false
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --opt) opt="$2"; shift 2 ;;
    --minimize) minimize=true; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=(exposition yaml json threshold kubeconfig http)

out=.build/fuzz
mkdir -p "$out/lib" "$out/bin" "$out/crashes"
flags=("$opt" -wmo -sanitize=fuzzer,address -parse-as-library -swift-version 6)

# Compiler output goes to a log per product (the linker's notes about ASan's symbols are noise),
# shown on failure. Products build in the background, one per core (swiftc -wmo uses one core).
compile() {  # product, swiftc arguments...
  local log="$out/build-$1.log"; shift
  if ! swiftc "${flags[@]}" -I "$out/lib" "$@" > "$log" 2>&1; then
    grep -v "ld.gold: warning" "$log" | tail -40 >&2
    echo "fuzz: build failed (whole log: $log)" >&2
    return 1
  fi
}

cores=$(nproc 2>/dev/null || echo 2)
pids=()
background() { "$@" & pids+=($!); [ ${#pids[@]} -lt "$cores" ] || settle; }
settle() {
  local failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  pids=()
  [ $failed -eq 0 ] || exit 1
}

# The modules the harnesses link, each a static library built once per run.
library() {  # name, sources...
  local name="$1"; shift
  compile "lib$name" -module-name "$name" -emit-module -emit-module-path "$out/lib/$name.swiftmodule" \
    -emit-library -static -o "$out/lib/lib$name.a" "$@"
}

# One harness: the module under test compiled with its harness, linked with the libraries it needs.
harness() {  # name, module, "libraries", sources...
  local name="$1" module="$2" libs="$3"; shift 3
  local link=()
  for lib in $libs; do link+=("-l$lib"); done
  compile "$name" -L "$out/lib" -module-name "$module" "$@" "${link[@]}" -lm -o "$out/bin/$name-fuzzer"
}

needs() { for h in "${harnesses[@]}"; do for n in "$@"; do [ "$h" = "$n" ] && return 0; done; done; return 1; }

build() {  # harness
  case "$1" in
    exposition) harness exposition PrometheusText "" Sources/PrometheusText/*.swift Fuzz/ExpositionFuzzer.swift ;;
    yaml) harness yaml YAML "JSON" Sources/YAML/*.swift Fuzz/YAMLFuzzer.swift ;;
    json) harness json JSON "" Sources/JSON/*.swift Fuzz/JSONFuzzer.swift ;;
    threshold) harness threshold Autoscaling "NameSuggestion Locking" Sources/Autoscaling/Thresholds/*.swift Fuzz/ThresholdFuzzer.swift ;;
    kubeconfig) harness kubeconfig Kube "YAML JSON" Sources/Kube/Config/Kubeconfig.swift Sources/Kube/API/KubeError.swift Fuzz/KubeconfigFuzzer.swift ;;
    http) harness http HTTPKit "Locking" Sources/HTTPKit/HTTPMessage.swift Sources/HTTPKit/ByteStream.swift Fuzz/HTTPRequestFuzzer.swift ;;
    *) echo "fuzz: unknown harness '$1'" >&2; return 2 ;;
  esac
}

build_start=$SECONDS
# The libraries first (YAML after JSON), then the harnesses, kubeconfig's after YAML's library.
needs threshold http && background library Locking Sources/Locking/*.swift
needs threshold && background library NameSuggestion Sources/NameSuggestion/*.swift
needs yaml kubeconfig && background library JSON Sources/JSON/*.swift
settle
needs kubeconfig && background library YAML Sources/YAML/*.swift
for h in "${harnesses[@]}"; do [ "$h" = kubeconfig ] || background build "$h"; done
settle
needs kubeconfig && background build kubeconfig
settle
echo "fuzz: built ${#harnesses[@]} harnesses ($opt) in $((SECONDS - build_start)) s"

# The corpus kept for each harness (the parsers' tests replay it).
kept() {
  case "$1" in
    exposition) echo Tests/PrometheusTextTests/FuzzCorpus ;;
    *) echo "Fuzz/Corpus/$1" ;;
  esac
}

# Seeds: the kept corpus, and the test fixtures.
seeds() {
  case "$1" in
    exposition) echo Tests/PrometheusTextTests/FuzzCorpus Tests/PrometheusTextTests/Fixtures ;;
    yaml) echo Fuzz/Corpus/yaml Fuzz/Corpus/kubeconfig Manifests Manifests/samples CRDs ;;
    json) echo Fuzz/Corpus/json ;;
    threshold) echo Fuzz/Corpus/threshold ;;
    kubeconfig) echo Fuzz/Corpus/kubeconfig ;;
    http) echo Fuzz/Corpus/http ;;
  esac
}

# A failed check traps at once: Swift's backtracer, started on a crash, reads the stack in a way
# AddressSanitizer reports as a second, spurious error.
export SWIFT_BACKTRACE=enable=no

if $minimize; then
  for h in "${harnesses[@]}"; do
    dir=$(kept "$h")
    merged="$out/minimized/$h"
    rm -rf "$merged"; mkdir -p "$merged" "$out/corpus/$h"
    "$out/bin/$h-fuzzer" -set_cover_merge=1 -use_counters=0 -use_value_profile=0 -max_len=512 \
      "$merged" "$dir" "$out/corpus/$h" > "$out/$h-minimize.log" 2>&1 \
      || { tail -20 "$out/$h-minimize.log" >&2; exit 1; }
    cp "$dir"/seed-* "$merged"/ 2>/dev/null || true
    rm -rf "$dir"; mkdir -p "$dir"; cp "$merged"/* "$dir"/
    echo "fuzz: $h: $(ls "$dir" | wc -l) inputs kept in $dir ($(tail -1 "$out/$h-minimize.log" | sed 's/^MERGE-OUTER: //'))"
  done
  exit 0
fi

failed=()
printf '%-11s %8s %10s %9s %6s %6s\n' harness seconds runs execs/s cov ft > "$out/summary.txt"
for h in "${harnesses[@]}"; do
  mkdir -p "$out/corpus/$h"
  dict=(); [ -f "Fuzz/$h.dict" ] && dict=(-dict="Fuzz/$h.dict")
  log="$out/$h.log"
  echo "fuzz: $h for $seconds s"
  set +e
  "$out/bin/$h-fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$out/crashes/$h-" "${dict[@]}" "$out/corpus/$h" $(seeds "$h") > "$log" 2>&1
  status=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  printf '%-11s %8s %10s %9s %6s %6s\n' "$h" "$seconds" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" >> "$out/summary.txt"
  if [ $status -ne 0 ]; then
    failed+=("$h")
    echo "fuzz: $h FAILED (exit $status); its log is $log:" >&2
    grep -E "ERROR|Fatal error|fatal error|SUMMARY|Test unit written|artifact" "$log" | head -20 >&2 || true
    echo "fuzz: reproduce with $out/bin/$h-fuzzer <the crash file>, then add the input to a test" >&2
  fi
done
cat "$out/summary.txt"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
