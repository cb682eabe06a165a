#!/usr/bin/env bash
# Builds the libFuzzer targets of the C plugins (Tests/fuzz/c/fuzz_*.c) with ASan + UBSan and runs each
# for a bounded time, one after the other. Fails when any target crashes, leaks, times out or trips a check.
#
#   scripts/fuzz-c.sh [seconds-per-target] [target...]     default: 60 s, every target
#
# Targets are the file names without fuzz_ and .c (pii_detect, kb_plugin, ...). Environment:
#   CC        a clang with libFuzzer (default: clang; the Swift toolchain ships one)
#   FUZZ_OUT  build folder (default .build-fuzz, gitignored): binaries, the growing corpus per target in
#             corpus/<target> (seeded from the committed Tests/fuzz/c/corpus/<target>), logs, crash files
#   FUZZ_ARGS extra libFuzzer flags, e.g. "-max_len=8192" or "-only_ascii=1"
# Each target starts from the committed seeds plus what earlier runs found, so repeated runs go deeper.
# A crash leaves $FUZZ_OUT/artifacts/<target>-crash-*; reproduce with: $FUZZ_OUT/fuzz_<target> FILE
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
case "$seconds" in '' | *[!0-9]*) echo "usage: scripts/fuzz-c.sh [seconds-per-target] [target...]" >&2; exit 64 ;; esac
out=${FUZZ_OUT:-.build-fuzz}
cc=${CC:-clang}
mkdir -p "$out/corpus" "$out/artifacts" "$out/logs"
abs_out=$(cd "$out" && pwd)

# Which plugin sources each target compiles in. A plugin's core is every .c that does not include the ABI
# header (directly or through a *_glue.h): targets that call the internal functions link the core only; the
# ones that drive the hooks also link the glue and the mock host.
core() { grep -L -E '#include "(policy_abi|[a-z_]*_glue)\.h"' "$1"/*.c | tr '\n' ' '; }
glue() { grep -l -E '#include "(policy_abi|[a-z_]*_glue)\.h"' "$1"/*.c | tr '\n' ' '; }
pii=$(core Plugins/pii-detector)
pi=$(core Plugins/prompt-injection)
al=$(core Plugins/audit-logger)
declare -A sources=(
  [pii_config]="$pii"
  [pii_detect]="$pii"
  [pii_stream]="$pii"
  [pii_plugin]="$pii $(glue Plugins/pii-detector) Tests/abi/mock_host.c"
  [pi_config]="$pi"
  [pi_detect]="$pi"
  [al_config]="$al"
  [al_record]="$al Tests/abi/mock_host.c"
  [kb_config]="Tests/abi/mock_host.c" # the target #includes keyword_blocklist.c (its functions are static)
  [kb_plugin]="Tests/abi/mock_host.c"
  [pab_json]="Tests/abi/mock_host.c" # the reader is header-only (Plugins/common/pab_json.h)
)
includes="-I Sources/PolicyABI/include -I Tests/abi -I Tests/fuzz/c -I Plugins/pii-detector -I Plugins/prompt-injection \
-I Plugins/audit-logger -I Plugins/Examples/keyword-blocklist -I Plugins/common"
if [ $# -gt 0 ]; then targets=("$@"); else targets=(pii_config pii_detect pii_stream pii_plugin pi_config pi_detect \
  al_config al_record kb_config kb_plugin pab_json); fi
for t in "${targets[@]}"; do
  [ -n "${sources[$t]+set}" ] || { echo "fuzz-c: unknown target '$t' (known: ${!sources[*]})" >&2; exit 64; }
done

# libFuzzer comes with clang only. Probe once, and prefer lld: the Swift toolchain's clang links with gold
# by default, which prints hundreds of harmless warnings for every ASan binary.
probe="$out/probe"
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe.c"
if ! "$cc" -fsanitize=fuzzer "$probe.c" -o "$probe" 2>/dev/null; then
  echo "fuzz-c: '$cc' cannot build libFuzzer targets (-fsanitize=fuzzer); set CC to a clang that can" >&2
  exit 1
fi
ld=""
if "$cc" -fuse-ld=lld -fsanitize=fuzzer,address "$probe.c" -o "$probe" 2>/dev/null; then ld="-fuse-ld=lld"; fi
flags="-std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
-fno-omit-frame-pointer $ld"

start=$SECONDS
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086 # word splitting of the flag and source lists is intended
  if ! "$cc" $flags $includes -o "$out/fuzz_$t" "Tests/fuzz/c/fuzz_$t.c" ${sources[$t]} -lpthread; then
    echo "fuzz-c: building fuzz_$t failed" >&2
    exit 1
  fi
done
echo "fuzz-c: built ${#targets[@]} targets in $((SECONDS - start)) s ($cc $ld)"

# ASan: leaks are bugs too (an exchange that leaks grows the gateway forever). UBSan: stop at the first report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
printf '%-11s %6s %12s %9s %6s %6s %8s\n' target secs execs exec/s cov ft corpus
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t"
  log="$out/logs/$t.log"
  rc=0
  # The first folder receives new inputs; the committed seeds are only read. -timeout: one input taking
  # over 10 s is a hang (a bug); -rss_limit_mb keeps a runaway allocation from taking the machine down.
  # shellcheck disable=SC2086
  "$out/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$t-" ${FUZZ_ARGS:-} "$out/corpus/$t" "Tests/fuzz/c/corpus/$t" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  printf '%-11s %6s %12s %9s %6s %6s %8s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    echo "---- fuzz_$t FAILED (exit $rc); the end of $log:"
    grep -v -E '^#[0-9]+|^\s+NEW_FUNC|^INFO:' "$log" | tail -40 | sed 's/^/    /'
    echo "---- reproduce: $abs_out/fuzz_$t $(ls -t "$abs_out/artifacts/$t-"* 2>/dev/null | head -1)"
  fi
done
echo "fuzz-c: ${#targets[@]} targets, $seconds s each, total $((SECONDS - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz-c: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz-c: no crash"
