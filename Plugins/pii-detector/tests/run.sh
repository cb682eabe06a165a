#!/bin/sh
# Builds and runs the pii-detector tests:
#   1. the plugin .so, loaded and driven through the ABI smoke host (Tests/abi/smoke_host.c) when it exists;
#   2. the unit tests (tests/pii_tests.c: core, config, ABI glue through a fake host).
# Usage: Plugins/pii-detector/tests/run.sh [build-dir]   (default: a temporary folder, removed afterwards)
# SANITIZE=1 builds the plugin, the smoke host and the tests with ASan + UBSan (SANITIZE_FLAGS overrides the
# flags; CC picks the compiler, e.g. CC=clang).
# The last line of output is the unit tests' "N passed, M failed". Exit status 0 when everything passed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
plugin=$(dirname "$here")
repo=$(cd "$plugin/../.." && pwd)
if [ $# -ge 1 ]; then
    out=$1
    mkdir -p "$out"
else
    out=$(mktemp -d "${TMPDIR:-/tmp}/pii-tests.XXXXXX")
    trap 'rm -rf "$out"' EXIT
fi
cc=${CC:-cc}
opt="-O2"
san=""
if [ "${SANITIZE:-0}" = 1 ]; then
    opt="-O1"
    san=${SANITIZE_FLAGS:--fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g}
fi
flags="-std=c11 -Wall -Wextra -Werror $opt $san -fPIC -fvisibility=hidden -I $repo/Sources/PolicyABI/include -I $repo/Plugins/common -I $plugin"
fail=0

# 1. The shared object as the gateway loads it, through the smoke host.
$cc $flags -shared -o "$out/pii-detector.so" "$plugin"/*.c
smoke="$repo/Tests/abi/smoke_host.c"
if [ -f "$smoke" ]; then
    # Not our code: built without -Werror so that its warnings cannot fail these tests.
    $cc -std=c11 $opt $san -w -I "$repo/Sources/PolicyABI/include" -o "$out/smoke_host" "$smoke" -ldl
    smoke_fail=0
    expect() { # expect NAME PATTERN -- smoke_host arguments...
        name=$1 pattern=$2
        shift 3
        rc=0
        "$out/smoke_host" "$out/pii-detector.so" "$@" >"$out/smoke.txt" 2>&1 || rc=$?
        # 0: the exchange ran; 3: create refused the config (expected in the config scenario). 2 and 4 mean the
        # loader refused the plugin or the plugin broke an ABI rule.
        if [ $rc -ne 2 ] && [ $rc -ne 4 ] && grep -qF -- "$pattern" "$out/smoke.txt"; then
            :
        else
            echo "FAIL smoke $name (exit $rc): expected '$pattern' in:"
            sed 's/^/    /' "$out/smoke.txt"
            smoke_fail=1
        fi
    }
    expect request 'on_request: MUTATE seg[0]="mail [EMAIL_ADDRESS], card [CREDIT_CARD]"' -- \
        --seg 'user:mail jane@example.com, card 4111 1111 1111 1111'
    expect stream 'client_text[0]="Card [CREDIT_CARD] ok, mail [EMAIL_ADDRESS]"' -- \
        --delta 'Card 4111 11' --delta '11 1111 1111 ok, mail jo' --delta 'e@example.org'
    expect block 'code=input_blocked message="Request blocked: contains personal data (US_SSN)"' -- \
        --config '{"action":"block"}' --seg 'user:my ssn is 123-45-6789'
    expect config 'unknown config key `mode`' -- --config '{"mode":"strict"}'
    expect tags 'tag pii-detector.EMAIL_ADDRESS=1' -- --seg 'user:a@b.co'
    if [ $smoke_fail -ne 0 ]; then fail=1; else echo "smoke host: 5 scenarios passed"; fi
else
    echo "smoke host: $smoke not found, skipped"
fi

# 2. Unit tests: the core, the config reader and the ABI glue (tests/pii_fake_host.c; the v1.1 segment kinds in
#    tests/pii_ext_tests.c), linked into one program.
$cc $flags -I "$here" -o "$out/pii_tests" "$here"/*.c "$plugin"/*.c
"$out/pii_tests" || fail=1
exit $fail
