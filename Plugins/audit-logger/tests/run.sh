#!/bin/sh
# Builds and runs the audit-logger unit tests (tests/audit_tests.c with the mock host in tests/mock_host.c),
# including a check of the shared object exactly as the gateway loads it (plugins.d/audit-logger.so).
#
#   Plugins/audit-logger/tests/run.sh [build-dir]        BENCH=1 also prints records/s (1 and 8 threads)
#
# SANITIZE=1 builds the plugin and the tests with ASan + UBSan (SANITIZE_FLAGS overrides the flags; CC picks
# the compiler, e.g. CC=clang).
#
# The last line printed is "N passed, M failed"; the exit status is 1 when anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
plugin=$(dirname "$here")
repo=$(cd "$plugin/../.." && pwd)
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/audit-tests.XXXXXX")}
mkdir -p "$out"
cc=${CC:-cc}
opt="-O2"
san=""
if [ "${SANITIZE:-0}" = 1 ]; then
    opt="-O1"
    san=${SANITIZE_FLAGS:--fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g}
fi
flags="-std=c11 -Wall -Wextra -Werror $opt $san -fPIC -fvisibility=hidden -I $repo/Sources/PolicyABI/include -I $repo/Plugins/common"

# The plugin as the gateway loads it: libc only, one exported symbol.
if ! $cc $flags -shared -o "$out/audit-logger.so" "$plugin"/*.c; then
    echo "building audit-logger.so failed"
    echo "0 passed, 1 failed"
    exit 1
fi
if ! $cc $flags -I "$plugin" -o "$out/audit_tests" "$here/audit_tests.c" "$here/mock_host.c" "$plugin"/*.c \
    -lpthread -ldl; then
    echo "building the tests failed"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ "${BENCH:-0}" = 1 ]; then "$out/audit_tests" --bench; fi
"$out/audit_tests" --so "$out/audit-logger.so"
