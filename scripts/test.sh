#!/usr/bin/env bash
# Runs every test: the Swift unit and integration tests (swift test), the C unit tests of the built-in
# plugins, and the end-to-end tests that drive the real binary with the official openai Python SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-tests

swift build --build-tests
scripts/install-plugins.sh debug

echo "== swift test"
swift test --skip-build

for suite in Plugins/*/tests/run.sh; do
  [ -f "$suite" ] || continue
  echo "== $suite"
  bash "$suite"
done

echo "== end-to-end (openai SDK)"
bash Tests/e2e/run.sh
