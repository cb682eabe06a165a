#!/usr/bin/env bash
# Benchmarks gatewayhost against a plain nginx reverse proxy measured in the same run.
#
# Starts, on 127.0.0.1 only: a mock upstream (nginx answering fixed, realistic chat / Responses / SSE bodies),
# the baseline (nginx reverse proxy to it, worker_processes 1) and one gatewayhost per setup (its defaults:
# event loop and policy threads = one per core, 1 curl thread): empty chain, each built-in policy alone, and
# the full default chain; and the floors of bench/floor, which show what the serving stack costs with no gateway
# logic (a SwiftNIO responder and a Hummingbird responder that answer without an upstream, and a minimal
# SwiftNIO proxy). Drives each with wrk posting a ~1 KB chat request (warm-up, then concurrency 1 and
# 32, several interleaved runs, medians), times a 200-event SSE stream through each, and prints one report:
# req/s, p50/p99, latency added over the upstream called directly, server CPU per request, peak RSS, every
# ratio against the nginx proxy, and PASS/FAIL per target. Every process it starts is stopped by pid at the
# end, also on Ctrl-C or failure.
#
# Usage: bench/run.sh [options]
#   --duration S      seconds per measured wrk run (10)
#   --runs N          measured runs per setup and concurrency; medians are reported (3)
#   --warmup S        seconds of c32 warm-up per server before measuring (3)
#   --stream-runs N   streams timed per server (50, after 10 warm-up streams)
#   --setups LIST     gatewayhost setups, comma-separated
#                     (empty,prompt-injection,pii-detector,audit-logger,full; keyword-blocklist also exists)
#   --api chat|responses   which request wrk posts (chat)
#   --soak            instead of the comparison: 5 minutes of c32 on the full chain, RSS sampled every 10 s
#   --soak-seconds S  soak length (300)
#   --soak-setup NAME the setup the soak loads (full)
#   --poll-idle       hold /dev/cpu_dma_latency at 0 while measuring (root): idle CPUs poll instead of halting,
#                     so waking a thread on an idle CPU costs ~1 µs instead of a VM exit (~50 µs on a VM)
#   --no-build        use the existing release build (default: swift build -c release the products first)
#   --no-floors       leave out the reference servers of bench/floor (SwiftNIO responder, Hummingbird responder,
#                     minimal SwiftNIO proxy): what the serving stack costs with no gateway logic at all
#   --keep            keep the temporary work folder (configs, logs, raw results) and print its path
#   --raw FILE        also copy the raw results (JSON lines) to FILE
#   --streams N       instead of the comparison: N concurrent SSE streams through the C mock of bench/streams
#                     (per-event latency from the mock's timestamp in each chunk), directly, through nginx and
#                     through each setup (default setups: empty,full), one after another; reports failures, CPU
#                     per event, p50/p99, RSS per open stream and PASS/FAIL against issue 16's targets
#   --stream-events E events per stream (20)      --stream-gap-ms G  ms between events (500)
#   --stream-rate R   new connections per second (default: ramp over half a stream's length, >= 1000/s)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LIB="$ROOT/bench/lib"
DURATION=10
RUNS=3
WARMUP=3
STREAM_RUNS=50
SETUPS="empty,prompt-injection,pii-detector,audit-logger,full"
API=chat
SOAK=0
SOAK_SECONDS=300
SOAK_SETUP=full
BUILD=1
KEEP=0
FLOORS=1
RAW_COPY=""
POLL_IDLE=0
STREAMS=0
STREAM_EVENTS=20
STREAM_GAP_MS=500
STREAM_RATE=""
SETUPS_GIVEN=0

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --stream-runs) STREAM_RUNS="$2"; shift 2 ;;
    --setups) SETUPS="$2"; SETUPS_GIVEN=1; shift 2 ;;
    --api) API="$2"; shift 2 ;;
    --soak) SOAK=1; shift ;;
    --soak-seconds) SOAK_SECONDS="$2"; shift 2 ;;
    --soak-setup) SOAK_SETUP="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    --no-floors) FLOORS=0; shift ;;
    --poll-idle) POLL_IDLE=1; shift ;;
    --raw) RAW_COPY="$2"; shift 2 ;;
    --streams) STREAMS="$2"; shift 2 ;;
    --stream-events) STREAM_EVENTS="$2"; shift 2 ;;
    --stream-gap-ms) STREAM_GAP_MS="$2"; shift 2 ;;
    --stream-rate) STREAM_RATE="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$API" in
  chat) API_PATH=/v1/chat/completions; API_LABEL="Chat completions, ~1 KB request, ~1 KB JSON answer" ;;
  responses) API_PATH=/v1/responses; API_LABEL="Responses API, ~1 KB request, ~1.5 KB JSON answer" ;;
  *) echo "bench/run.sh: --api must be chat or responses" >&2; exit 2 ;;
esac
if [ "$SOAK" = 1 ]; then SETUPS="$SOAK_SETUP"; fi
if [ "$STREAMS" -gt 0 ]; then FLOORS=0; [ "$SETUPS_GIVEN" = 1 ] || SETUPS=empty,full; fi

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- packages and build

need_pkgs=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
command -v cc >/dev/null 2>&1 || need_pkgs+=(gcc)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}"
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

# The plugin products SwiftPM builds: product name -> the chain entry (plugins.d/<entry>.so) it provides.
PLUGIN_PRODUCTS="PromptInjection:prompt-injection PiiDetector:pii-detector AuditLogger:audit-logger"

cd "$ROOT"
if [ "$BUILD" = 1 ]; then
  lock=(); command -v flock >/dev/null 2>&1 && lock=(flock /tmp/swiftbuild.lock)
  products=(gatewayhost)
  for pair in $PLUGIN_PRODUCTS; do
    product="${pair%%:*}"
    grep -q "name: \"$product\"" Package.swift && products+=("$product")
  done
  for product in "${products[@]}"; do
    log "swift build -c release --product $product"
    "${lock[@]}" swift build -c release --product "$product" >&2
  done
  if [ "$FLOORS" = 1 ] && [ "$SOAK" = 0 ]; then
    log "swift build -c release --package-path bench/floor"
    "${lock[@]}" swift build -c release --package-path bench/floor >&2
  fi
fi
BIN_DIR="$ROOT/.build/release"
GATEWAY="$BIN_DIR/gatewayhost"
[ -x "$GATEWAY" ] || { echo "bench/run.sh: $GATEWAY is missing (run without --no-build)" >&2; exit 1; }
# The floors (bench/floor): reference servers with no gateway logic, measured in the same run.
FLOOR_BIN="$ROOT/bench/floor/.build/release"
FLOOR_TARGETS=()
if [ "$FLOORS" = 1 ] && [ "$SOAK" = 0 ]; then
  for name in floor-nio-proxy floor-nio-responder floor-hummingbird-responder; do
    if [ -x "$FLOOR_BIN/$name" ]; then FLOOR_TARGETS+=("$name"); else log "floor $name skipped: not built (bench/floor)"; fi
  done
fi

# ---------------------------------------------------------------- processes (stopped by pid on every exit)

WORK="$(mktemp -d /tmp/gatewayhost-bench.XXXXXX)"
PIDS=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local i pid
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid="${PIDS[$i]}"
    kill -TERM "$pid" 2>/dev/null || continue
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "pid $pid did not stop on TERM; KILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
  if [ "$KEEP" = 1 ]; then log "work folder kept: $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

start() {  # start NAME COMMAND... -> runs in the background, logs to $WORK/NAME.log, sets STARTED_PID
  local name="$1"; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
}

tree_pids() {  # the process and its children (nginx: master + workers)
  echo "$1"
  cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' || true
}

cpu_ticks() {  # utime + stime (clock ticks) of a process tree, all threads included
  local total=0 p stat rest
  for p in $(tree_pids "$1"); do
    stat="$(cat /proc/"$p"/stat 2>/dev/null)" || continue
    rest="${stat##*) }"   # fields after "(comm) ": state is field 3, utime 14, stime 15
    set -- $rest
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

mem_kb() {  # mem_kb PID FIELD -> the field (VmHWM / VmRSS, kB) summed over the process tree
  local total=0 p v
  for p in $(tree_pids "$1"); do
    v="$(awk -v f="$2:" '$1 == f {print $2}' /proc/"$p"/status 2>/dev/null)"
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

wait_http() {  # wait_http URL PID NAME: until URL answers 200 (30 s), or fail with the log tail
  for _ in $(seq 300); do
    if ! kill -0 "$2" 2>/dev/null; then
      log "$3 exited during startup:"; tail -20 "$WORK/$3.log" >&2; exit 1
    fi
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" = 200 ] && return 0
    sleep 0.1
  done
  log "$3 did not become ready at $1:"; tail -20 "$WORK/$3.log" >&2; exit 1
}

free_ports() {  # free_ports N -> N free TCP ports on 127.0.0.1
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# ---------------------------------------------------------------- plugins folder

PLUGINS="$WORK/plugins"
mkdir -p "$PLUGINS"
chmod 755 "$WORK" "$PLUGINS"   # the loader refuses plugins in a world-writable folder; nginx workers read www/
for pair in $PLUGIN_PRODUCTS; do
  product="${pair%%:*}"; entry="${pair##*:}"
  if [ -f "$BIN_DIR/lib$product.so" ]; then install -m 0644 "$BIN_DIR/lib$product.so" "$PLUGINS/$entry.so"; fi
done
cc -std=c11 -O2 -shared -fPIC -fvisibility=hidden -I Sources/PolicyABI/include -I Plugins/common \
   -o "$PLUGINS/keyword-blocklist.so" Plugins/Examples/keyword-blocklist/keyword_blocklist.c
chmod 0644 "$PLUGINS/keyword-blocklist.so"

RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
record() { echo "$1" >>"$RESULTS"; }

declare -A CHAIN_OF=(
  [empty]="" [prompt-injection]="prompt-injection" [pii-detector]="pii-detector" [audit-logger]="audit-logger"
  [keyword-blocklist]="keyword-blocklist" [full]="prompt-injection pii-detector audit-logger"
)
GATEWAY_SETUPS=()
for setup in ${SETUPS//,/ }; do
  [ -n "${CHAIN_OF[$setup]+x}" ] || { echo "bench/run.sh: unknown setup $setup" >&2; exit 2; }
  missing=""
  for entry in ${CHAIN_OF[$setup]}; do [ -f "$PLUGINS/$entry.so" ] || missing="$missing $entry"; done
  if [ -n "$missing" ]; then
    log "setup $setup skipped: not built:$missing"
    record "{\"kind\":\"skip\",\"setup\":\"$setup\",\"reason\":\"not built:$missing\"}"
  else
    GATEWAY_SETUPS+=("$setup")
  fi
done

# Stream scale (--streams N) has its own mock, configs and report: bench/streams/streams.sh.
if [ "$STREAMS" -gt 0 ]; then . "$ROOT/bench/streams/streams.sh"; exit 0; fi

# ---------------------------------------------------------------- configs and servers

read -r -a PORTS <<<"$(free_ports $((2 + ${#FLOOR_TARGETS[@]} + ${#GATEWAY_SETUPS[@]})))"
UPSTREAM_PORT="${PORTS[0]}"; PROXY_PORT="${PORTS[1]}"
declare -A PORT_OF=([direct]="$UPSTREAM_PORT" [nginx-proxy]="$PROXY_PORT")
for i in "${!FLOOR_TARGETS[@]}"; do PORT_OF[${FLOOR_TARGETS[$i]}]="${PORTS[$((i + 2))]}"; done
gateway_ports=""
for i in "${!GATEWAY_SETUPS[@]}"; do
  setup="${GATEWAY_SETUPS[$i]}"; PORT_OF[$setup]="${PORTS[$((i + 2 + ${#FLOOR_TARGETS[@]}))]}"
  gateway_ports="$gateway_ports${gateway_ports:+,}$setup=${PORT_OF[$setup]}"
done
python3 "$LIB/fixtures.py" "$WORK" --upstream-port "$UPSTREAM_PORT" --proxy-port "$PROXY_PORT" \
  --gateway-ports "$gateway_ports" --plugins-dir "$PLUGINS" --proxy-workers 1 --upstream-workers 1

declare -A PID_OF
start upstream "$NGINX" -p "$WORK" -c "$WORK/upstream.conf" -e stderr -g 'daemon off;'
PID_OF[direct]=$STARTED_PID
if [ "$SOAK" = 0 ]; then
  start nginx-proxy "$NGINX" -p "$WORK" -c "$WORK/proxy.conf" -e stderr -g 'daemon off;'
  PID_OF[nginx-proxy]=$STARTED_PID
fi
for name in "${FLOOR_TARGETS[@]}"; do
  case "$name" in
    floor-nio-proxy) start "$name" "$FLOOR_BIN/$name" "${PORT_OF[$name]}" "$UPSTREAM_PORT" ;;
    *) start "$name" "$FLOOR_BIN/$name" "${PORT_OF[$name]}" "$WORK/answer-chat.json" "$WORK/answer-responses.json" ;;
  esac
  PID_OF[$name]=$STARTED_PID
done
export BENCH_KEY=sk-bench-dummy-key
for setup in "${GATEWAY_SETUPS[@]}"; do
  start "gateway-$setup" "$GATEWAY" --config "$WORK/gateway-$setup.yaml"
  PID_OF[$setup]=$STARTED_PID
done

wait_http "http://127.0.0.1:$UPSTREAM_PORT/v1/chat/completions" "${PID_OF[direct]}" upstream
TARGETS=(direct)
if [ "$SOAK" = 0 ]; then
  wait_http "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" "${PID_OF[nginx-proxy]}" nginx-proxy
  TARGETS+=(nginx-proxy)
fi
for name in "${FLOOR_TARGETS[@]}"; do
  ready=/v1/chat/completions  # through the proxy floor: the mock answers GET too
  [ "$name" = floor-nio-proxy ] || ready=/healthz
  wait_http "http://127.0.0.1:${PORT_OF[$name]}$ready" "${PID_OF[$name]}" "$name"
  TARGETS+=("$name")
done
for setup in "${GATEWAY_SETUPS[@]}"; do
  wait_http "http://127.0.0.1:${PORT_OF[$setup]}/readyz" "${PID_OF[$setup]}" "gateway-$setup"
  TARGETS+=("$setup")
done
log "up: upstream :$UPSTREAM_PORT, $(for t in "${TARGETS[@]:1}"; do printf '%s :%s  ' "$t" "${PORT_OF[$t]}"; done)"

if [ "$POLL_IDLE" = 1 ]; then
  # The kernel keeps the PM QoS request while the file stays open, and drops it when this holder is stopped.
  start pm-qos python3 -c 'import os, struct, time
fd = os.open("/dev/cpu_dma_latency", os.O_WRONLY)
os.write(fd, struct.pack("i", 0))
print("holding cpu_dma_latency = 0", flush=True)
while True: time.sleep(3600)'
  sleep 0.3
  kill -0 "$STARTED_PID" 2>/dev/null || { log "--poll-idle: cannot hold /dev/cpu_dma_latency:"; cat "$WORK/pm-qos.log" >&2; exit 1; }
fi

stream_path() {
  case "$1" in
    direct | nginx-proxy | floor-nio-proxy) echo /stream/v1/chat/completions ;;
    *) echo /v1/chat/completions ;;
  esac
}
streams() { case "$1" in *-responder) return 1 ;; esac; }  # responders answer JSON only: no stream to time

# Every target must answer the real thing before it is timed: the mock's JSON (chat and Responses) and a
# complete stream; a gateway must have routed to the bench target.
for target in "${TARGETS[@]}"; do
  port="${PORT_OF[$target]}"
  for pair in "chat:/v1/chat/completions:\"object\":\"chat.completion\"" "responses:/v1/responses:\"object\":\"response\""; do
    name="${pair%%:*}"; rest="${pair#*:}"; path="${rest%%:*}"; expect="${rest#*:}"
    body="$(curl -s -D "$WORK/check.headers" -H 'content-type: application/json' \
      --data-binary @"$WORK/request-$name.json" "http://127.0.0.1:$port$path")"
    if ! grep -q "^HTTP/1.1 200" "$WORK/check.headers" || [[ "$body" != *"$expect"* ]]; then
      log "$target: $path did not answer the mock's body:"; cat "$WORK/check.headers" >&2; echo "$body" | head -c 600 >&2
      exit 1
    fi
  done
  streams "$target" || continue
  python3 "$LIB/stream_client.py" --port "$port" --path "$(stream_path "$target")" --body "$WORK/request-stream.json" \
    --runs 1 --warmup 0 >/dev/null || { log "$target: the SSE stream check failed"; exit 1; }
done

# The report's row order: the two baselines, then every requested setup (skipped ones show "not built").
ORDER=(direct)
[ "$SOAK" = 1 ] || ORDER+=(nginx-proxy "${FLOOR_TARGETS[@]}")
for setup in ${SETUPS//,/ }; do ORDER+=("$setup"); done
python3 - "$RESULTS" "${ORDER[@]}" <<PY
import json, os, platform, sys
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem_kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
meta = {
    "kind": "meta", "date": "$(date -u +%Y-%m-%dT%H:%MZ)", "nproc": os.cpu_count(), "cpu": cpu,
    "ram": f"{mem_kb / 1048576:.1f} GiB RAM", "kernel": platform.release(),
    "workers": "upstream nginx and nginx proxy: worker_processes 1 each; gatewayhost: its defaults (event loop "
               "and policy threads = one per core, 1 curl thread); floors (bench/floor): one SwiftNIO event loop per "
               "core, Hummingbird's defaults; wrk, upstream and server share the "
               f"{os.cpu_count()} cores; nginx access logs off, gatewayhost log_level info; idle CPUs: "
               + ("poll (--poll-idle: /dev/cpu_dma_latency held at 0)" if $POLL_IDLE else "the kernel's default idle states"),
    "load": "wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}'), POST $API_PATH, " + (
            "soak: -t2 -c32 for ${SOAK_SECONDS} s, VmRSS sampled every 10 s" if $SOAK else
            "c1: -t1 -c1, c32: -t2 -c32, ${DURATION} s per run, ${RUNS} runs interleaved across setups, "
            "${WARMUP} s c32 warm-up per server"),
    "runs": $RUNS, "stream_runs": $STREAM_RUNS, "api_label": "$API_LABEL", "targets": sys.argv[2:],
}
with open(sys.argv[1], "a") as f:
    f.write(json.dumps(meta) + "\n")
PY

export BENCH_BODY="$WORK/request-$API.json"
CLK_TCK="$(getconf CLK_TCK)"

run_wrk() {  # run_wrk TARGET CONC SECONDS RUN -> records one wrk run (RUN=warmup is not recorded)
  local target="$1" conc="$2" seconds="$3" run="$4" threads=1 before after out json
  [ "$conc" -ge 2 ] && threads=2
  before="$(cpu_ticks "${PID_OF[$target]}")"
  out="$(wrk -t"$threads" -c"$conc" -d"${seconds}s" --latency -s "$LIB/post.lua" \
    "http://127.0.0.1:${PORT_OF[$target]}$API_PATH")"
  after="$(cpu_ticks "${PID_OF[$target]}")"
  echo "$out" >>"$WORK/wrk-$target.log"
  json="$(echo "$out" | sed -n 's/^BENCHJSON //p')"
  [ -n "$json" ] || { log "wrk printed no result for $target:"; echo "$out" >&2; exit 1; }
  [ "$run" = warmup ] && return 0
  record "{\"kind\":\"wrk\",\"setup\":\"$target\",\"conc\":$conc,\"run\":$run,\"cpu_ticks\":$((after - before)),\"clk_tck\":$CLK_TCK,${json#\{}"
}

# ---------------------------------------------------------------- soak

if [ "$SOAK" = 1 ]; then
  target="$SOAK_SETUP"
  [ -n "${PID_OF[$target]+x}" ] || { log "soak: setup $target is not built"; python3 "$LIB/report.py" "$RESULTS"; exit 1; }
  pid="${PID_OF[$target]}"
  log "soak: ${SOAK_SECONDS} s of c32 on $target (RSS every 10 s)"
  wrk -t2 -c32 -d"${SOAK_SECONDS}s" -s "$LIB/post.lua" "http://127.0.0.1:${PORT_OF[$target]}$API_PATH" \
    >"$WORK/wrk-soak.log" 2>&1 &
  WRK_PID=$!
  PIDS+=("$WRK_PID")
  samples=""
  t0="$(date +%s.%N)"
  while kill -0 "$WRK_PID" 2>/dev/null; do
    sleep 10
    kill -0 "$WRK_PID" 2>/dev/null || break
    elapsed="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')"
    samples="$samples${samples:+,}[$elapsed,$(mem_kb "$pid" VmRSS)]"
    log "soak: ${elapsed} s, VmRSS $(($(mem_kb "$pid" VmRSS) / 1024)) MiB"
  done
  wait "$WRK_PID" || true
  json="$(sed -n 's/^BENCHJSON //p' "$WORK/wrk-soak.log")"
  [ -n "$json" ] || { log "soak: wrk printed no result"; cat "$WORK/wrk-soak.log" >&2; exit 1; }
  errors="$(echo "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(v for k,v in d.items() if k.startswith("err_")))')"
  record "{\"kind\":\"soak\",\"setup\":\"$target\",\"samples\":[$samples],\"hwm_kb\":$(mem_kb "$pid" VmHWM),\"errors\":$errors,${json#\{}"
else
  # ------------------------------------------------------------ comparison
  for target in "${TARGETS[@]}"; do
    log "warm-up $target (${WARMUP} s, c32)"
    run_wrk "$target" 32 "$WARMUP" warmup
  done
  # Runs are interleaved (round 1 of every target, then round 2...) so slow drifts of the machine hit every
  # target alike.
  for conc in 1 32; do
    for run in $(seq "$RUNS"); do
      for target in "${TARGETS[@]}"; do
        log "c$conc run $run/$RUNS: $target"
        run_wrk "$target" "$conc" "$DURATION" "$run"
      done
    done
  done
  for target in "${TARGETS[@]}"; do
    record "{\"kind\":\"mem\",\"setup\":\"$target\",\"hwm_kb\":$(mem_kb "${PID_OF[$target]}" VmHWM),\"rss_kb\":$(mem_kb "${PID_OF[$target]}" VmRSS)}"
  done
  for target in "${TARGETS[@]}"; do
    streams "$target" || continue
    log "streams: $target ($STREAM_RUNS)"
    json="$(python3 "$LIB/stream_client.py" --port "${PORT_OF[$target]}" --path "$(stream_path "$target")" \
      --body "$WORK/request-stream.json" --runs "$STREAM_RUNS" --warmup 10)"
    record "{\"kind\":\"stream\",\"setup\":\"$target\",${json#\{}"
  done
fi

[ -z "$RAW_COPY" ] || cp "$RESULTS" "$RAW_COPY"
python3 "$LIB/report.py" "$RESULTS"
