#!/bin/sh
# Builds and runs the keyword-blocklist unit tests (tests/kb_tests.c, driven through the mock host in
# Tests/abi/mock_host.c), including one request through the shared object as the gateway loads it.
#
#   Plugins/Examples/keyword-blocklist/tests/run.sh [build-dir]
#
# SANITIZE=1 builds the plugin, the mock host and the tests with ASan + UBSan (SANITIZE_FLAGS overrides
# the flags; CC picks the compiler). The last line printed is "N passed, M failed"; exit 1 on any failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
plugin=$(dirname "$here")
repo=$(cd "$plugin/../../.." && pwd)
if [ $# -ge 1 ]; then
    out=$1
    mkdir -p "$out"
else
    out=$(mktemp -d "${TMPDIR:-/tmp}/kb-tests.XXXXXX")
    trap 'rm -rf "$out"' EXIT
fi
cc=${CC:-cc}
opt="-O2"
san=""
if [ "${SANITIZE:-0}" = 1 ]; then
    opt="-O1"
    san=${SANITIZE_FLAGS:--fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g}
fi
abi="$repo/Sources/PolicyABI/include"
flags="-std=c11 -Wall -Wextra -Werror $opt $san -fPIC -fvisibility=hidden -I $abi -I $repo/Plugins/common"

# The plugin as the gateway loads it: one exported symbol.
if ! $cc $flags -shared -o "$out/keyword-blocklist.so" "$plugin/keyword_blocklist.c"; then
    echo "building keyword-blocklist.so failed"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ -z "$san" ] && command -v nm >/dev/null 2>&1; then
    exported=$(nm -D --defined-only "$out/keyword-blocklist.so" | awk '$2 == "T" {print $3}')
    if [ "$exported" != "pab_plugin_entry_v1" ]; then
        echo "unexpected exported symbols: $exported"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi
if ! $cc $flags -I "$repo/Tests/abi" -o "$out/kb_tests" "$here/kb_tests.c" "$repo/Tests/abi/mock_host.c" \
    "$plugin/keyword_blocklist.c" -lpthread -ldl; then
    echo "building the tests failed"
    echo "0 passed, 1 failed"
    exit 1
fi
"$out/kb_tests" --so "$out/keyword-blocklist.so"
