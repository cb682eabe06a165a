#!/usr/bin/env bash
# Runs every test: the Swift unit and integration tests (swift test), the C unit tests of the built-in
# plugins (also under ASan + UBSan, and a bounded libFuzzer run of their parsers and scanners), and the
# end-to-end tests that drive the real binary with the official openai Python SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-tests

swift build --build-tests
scripts/install-plugins.sh debug

# Every stage has a time limit: a hung test must fail the run with a message, not stall CI until its
# own deadline. The limits are several times what each stage takes on a 2-core machine.
echo "== swift test"
timeout --kill-after=30 900 swift test --skip-build

for suite in Plugins/*/tests/run.sh Plugins/Examples/*/tests/run.sh; do
  [ -f "$suite" ] || continue
  echo "== $suite"
  timeout --kill-after=10 600 bash "$suite"
done

# The same C suites (plus the ABI smoke host with every plugin) built with ASan + UBSan: a memory error or
# undefined behaviour fails the run even where the plain build happens to survive it (about 40 s).
stage=$SECONDS
echo "== C tests under ASan+UBSan"
timeout --kill-after=10 900 scripts/test-c-sanitizers.sh
echo "   C tests under ASan+UBSan took $((SECONDS - stage)) s"

# libFuzzer on the plugins' parsers and scanners, a short bound per target (docs/fuzzing.md); any crash,
# leak, hang or failed invariant fails the run. FUZZ_SECONDS overrides the bound; 0 skips the stage.
fuzz_seconds=${FUZZ_SECONDS:-$([ "${CI:-}" = true ] && echo 20 || echo 10)}
if [ "$fuzz_seconds" -gt 0 ]; then
  stage=$SECONDS
  echo "== C fuzzing ($fuzz_seconds s per target)"
  timeout --kill-after=30 $((fuzz_seconds * 12 + 300)) scripts/fuzz-c.sh "$fuzz_seconds"
  echo "   C fuzzing took $((SECONDS - stage)) s"
fi

# libFuzzer on the gateway's own parsers: JSON (with segments, validation and splicing), SSE, the config loader.
if [ "$fuzz_seconds" -gt 0 ]; then
  stage=$SECONDS
  echo "== Swift fuzzing ($fuzz_seconds s per target)"
  timeout --kill-after=30 $((fuzz_seconds * 3 + 600)) scripts/fuzz-swift.sh "$fuzz_seconds"
  echo "   Swift fuzzing took $((SECONDS - stage)) s"
fi

# The Swift tests again under ThreadSanitizer, in their own build folder (the first build is the long part).
stage=$SECONDS
echo "== swift test under ThreadSanitizer"
timeout --kill-after=30 2700 scripts/test-tsan.sh
echo "   swift test under ThreadSanitizer took $((SECONDS - stage)) s"

echo "== end-to-end (openai SDK)"
timeout --kill-after=30 1200 bash Tests/e2e/run.sh
