#!/usr/bin/env bash
# libFuzzer on the gateway's own parsers (docs/fuzzing.md): the JSON span parser with everything built on it
# (segments, validation, splicing), the SSE parser, and the YAML config loader. Each target is compiled with
# swiftc straight from its sources (-sanitize=fuzzer,address) into .build-fuzz/swift and run for a bounded
# time from the seed corpus in Tests/fuzz/swift/corpus/<target>; any crash, leak or failed invariant fails.
#
#   scripts/fuzz-swift.sh [seconds-per-target]        (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
out=.build-fuzz/swift
mkdir -p "$out/pabi"
# The ABI header as a module, the way SwiftPM presents the PolicyABI target to Swift.
printf 'module PolicyABI {\n    header "%s"\n    export *\n}\n' "$PWD/Sources/PolicyABI/include/policy_abi.h" \
  > "$out/pabi/module.modulemap"
flags=(-parse-as-library -package-name gatewayhost -sanitize=fuzzer,address -O -I "$out" -I "$out/pabi")
quiet() { grep -v "ld.gold: warning: Cannot export local symbol" || true; }

swiftc "${flags[@]}" -module-name GatewayWire -emit-module -emit-module-path "$out/GatewayWire.swiftmodule" \
  -emit-library -static -o "$out/libGatewayWire.a" Sources/GatewayWire/*.swift 2>&1 | quiet
swiftc "${flags[@]}" -module-name FuzzJSON Tests/fuzz/swift/FuzzJSON.swift "$out/libGatewayWire.a" \
  -o "$out/fuzz-json" 2>&1 | quiet
swiftc "${flags[@]}" -module-name FuzzSSE Tests/fuzz/swift/FuzzSSE.swift "$out/libGatewayWire.a" \
  -o "$out/fuzz-sse" 2>&1 | quiet
swiftc "${flags[@]}" -module-name FuzzConfig -I Sources/CYAML Sources/GatewayCore/Config/*.swift \
  Tests/fuzz/swift/FuzzConfig.swift "$out/libGatewayWire.a" -lyaml -o "$out/fuzz-config" 2>&1 | quiet

status=0
for target in json sse config; do
  work="$out/corpus-$target"
  rm -rf "$work" && mkdir -p "$work"
  start=$SECONDS
  if "$out/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$out/crash-$target-" "$work" "Tests/fuzz/swift/corpus/$target" > "$out/fuzz-$target.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/fuzz-$target.log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz-$target: ok, $runs runs in $((SECONDS - start)) s"
  else
    echo "fuzz-$target: FAILED (log: $out/fuzz-$target.log)"
    tail -40 "$out/fuzz-$target.log"
    status=1
  fi
done
exit $status
