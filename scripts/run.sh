#!/usr/bin/env bash
# Runs the gateway on 127.0.0.1:8080 with policy-config.yaml (the built-in echo provider: no API key,
# no network needed). Extra arguments go to gatewayhost, e.g. scripts/run.sh --listen 127.0.0.1:9090
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release
scripts/install-plugins.sh release
exec .build/release/gatewayhost --config policy-config.yaml "$@"
