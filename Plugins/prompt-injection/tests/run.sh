#!/bin/sh
# Build the prompt-injection plugin exactly as the package does (strict warnings), then build and run its
# unit tests with AddressSanitizer and UndefinedBehaviorSanitizer. Exits non-zero on any failure.
# Usage: Plugins/prompt-injection/tests/run.sh   (from anywhere; CC overrides the compiler)
# The tests always run under the sanitizers; SANITIZE=1 (scripts/test-c-sanitizers.sh) adds the flags every
# sanitized suite uses (SANITIZE_FLAGS overrides them).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PLUGIN=$(dirname "$HERE")
REPO=$(cd "$PLUGIN/../.." && pwd)
ABI="$REPO/Sources/PolicyABI/include"
COMMON="$REPO/Plugins/common" # pab_json.h, the plugins' shared JSON reader
CC=${CC:-cc}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# 1. The shared object, with the flags the plugin must compile under.
$CC -std=c11 -Wall -Wextra -Werror -O2 -fPIC -fvisibility=hidden -I "$ABI" -I "$COMMON" -shared \
    -o "$OUT/prompt-injection.so" "$PLUGIN"/*.c
# Only the entry symbol may be exported.
if command -v nm >/dev/null 2>&1; then
    exported=$(nm -D --defined-only "$OUT/prompt-injection.so" | awk '$2 == "T" {print $3}')
    if [ "$exported" != "pab_plugin_entry_v1" ]; then
        echo "unexpected exported symbols: $exported"
        exit 1
    fi
fi

# 2. The tests, linked against the sources (the entry symbol is called directly), with sanitizers.
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
if [ "${SANITIZE:-0}" = 1 ]; then
    SAN=${SANITIZE_FLAGS:--fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g}
fi
$CC -std=c11 -Wall -Wextra -Werror -O1 -g $SAN -I "$PLUGIN" -I "$ABI" -I "$COMMON" \
    -o "$OUT/pi_tests" "$HERE/pi_tests.c" "$PLUGIN"/*.c
"$OUT/pi_tests"
