#!/bin/sh
# Builds and runs the data-routing unit tests (tests/dr_tests.c and dr_rules_tests.c, driven through the mock
# host in Tests/abi/mock_host.c), including requests through the shared object as the gateway loads it.
#
#   Plugins/data-routing/tests/run.sh [build-dir]
#
# SANITIZE=1 builds the plugin, the mock host and the tests with ASan + UBSan (SANITIZE_FLAGS overrides
# the flags; CC picks the compiler). The last line printed is "N passed, M failed"; exit 1 on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
plugin=$(dirname "$here")
repo=$(cd "$plugin/../.." && pwd)
if [ $# -ge 1 ]; then
    out=$1
    mkdir -p "$out"
else
    out=$(mktemp -d "${TMPDIR:-/tmp}/dr-tests.XXXXXX")
    trap 'rm -rf "$out"' EXIT
fi
cc=${CC:-cc}
opt="-O2"
san=""
if [ "${SANITIZE:-0}" = 1 ]; then
    opt="-O1"
    san=${SANITIZE_FLAGS:--fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g}
fi
# The config reader is the plugins' shared pab_json.h (Plugins/common).
includes="-I $repo/Sources/PolicyABI/include -I $repo/Plugins/common"
flags="-std=c11 -Wall -Wextra -Werror $opt $san -fPIC -fvisibility=hidden $includes"

# The plugin as the gateway loads it: libc only, one exported symbol.
if ! $cc $flags -shared -o "$out/data-routing.so" "$plugin"/dr_*.c; then
    echo "building data-routing.so failed"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ -z "$san" ] && command -v nm >/dev/null 2>&1; then
    exported=$(nm -D --defined-only "$out/data-routing.so" | awk '$2 == "T" {print $3}')
    if [ "$exported" != "pab_plugin_entry_v1" ]; then
        echo "unexpected exported symbols: $exported"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi
if ! $cc $flags -I "$repo/Tests/abi" -o "$out/dr_tests" "$here/dr_tests.c" "$here/dr_rules_tests.c" \
    "$repo/Tests/abi/mock_host.c" "$plugin"/dr_*.c -lpthread -ldl; then
    echo "building the tests failed"
    echo "0 passed, 1 failed"
    exit 1
fi
"$out/dr_tests" --so "$out/data-routing.so"
