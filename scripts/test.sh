#!/usr/bin/env bash
# Runs every test: the Swift unit and integration tests (swift test), the C unit tests of the built-in
# plugins, and the end-to-end tests that drive the real binary with the official openai Python SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-tests

swift build --build-tests
scripts/install-plugins.sh debug

# Every stage has a time limit: a hung test must fail the run with a message, not stall CI until its
# own deadline. The limits are several times what each stage takes on a 2-core machine.
echo "== swift test"
timeout --kill-after=30 900 swift test --skip-build

for suite in Plugins/*/tests/run.sh; do
  [ -f "$suite" ] || continue
  echo "== $suite"
  timeout --kill-after=10 600 bash "$suite"
done

echo "== end-to-end (openai SDK)"
timeout --kill-after=30 1200 bash Tests/e2e/run.sh
