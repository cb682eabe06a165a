#!/usr/bin/env bash
# `swift test` under ThreadSanitizer, in its own build folder (.build-tsan: every package is rebuilt with
# -sanitize=thread, about 10 minutes the first time on 2 cores, then incremental). Any race report fails it.
#
# Two kinds of tests are left out, with the reason: the CLI tests and the Swift-plugin test run the normal
# build's binary and plugin from .build/debug (not built here), so they test nothing new under TSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build-tsan
# Without the OTLPTracing trait: swift-otel does not compile under -sanitize=thread (see Package.swift).
swift build --build-tests --sanitize=thread --scratch-path "$scratch" --disable-default-traits
log=$(mktemp)
status=0
# Time limits in tests that measure a timeout scale with GATEWAYHOST_TIMING_SCALE (TSan is several times slower).
GATEWAYHOST_TIMING_SCALE=6 TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1" swift test --skip-build --sanitize=thread --scratch-path "$scratch" \
  --disable-default-traits \
  --skip CLITests --skip cPluginAndSwiftPluginRunThroughTheChain 2>&1 | tee "$log" | grep -E "^(✘|✔ Test run|ThreadSanitizer)" || true
if grep -q "WARNING: ThreadSanitizer" "$log"; then
  echo "ThreadSanitizer reported $(grep -c 'WARNING: ThreadSanitizer' "$log") problems:"
  grep -A30 "WARNING: ThreadSanitizer" "$log" | head -200
  status=1
fi
if ! grep -q "^✔ Test run" "$log"; then
  # Timing-based tests (a stream's events spaced by the mock, a timeout within a bound) can miss under
  # ThreadSanitizer's slowdown on a loaded 2-core machine. The tests that failed run once more, alone; they
  # must pass then, and any race report in either run still fails the stage.
  failed=$(grep -oE "^✘ Test [A-Za-z0-9_]+\(" "$log" | sed -E 's/^✘ Test //; s/\($//' | sort -u | paste -sd'|' -)
  if [ -n "$failed" ] && [ $status -eq 0 ]; then
    echo "retrying alone: $failed"
    rerun=$(mktemp)
    GATEWAYHOST_TIMING_SCALE=6 TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1" swift test --skip-build \
      --sanitize=thread --scratch-path "$scratch" --disable-default-traits --filter "$failed" 2>&1 | tee "$rerun" \
      | grep -E "^(✘|✔ Test run|ThreadSanitizer)" || true
    if grep -q "WARNING: ThreadSanitizer" "$rerun" || ! grep -q "^✔ Test run" "$rerun"; then status=1; fi
    rm -f "$rerun"
  else
    status=1
  fi
fi
rm -f "$log"
exit $status
