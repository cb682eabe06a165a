# bench/run.sh --streams N: N concurrent SSE streams through each server, one server at a time.
#
# Sourced by bench/run.sh once its work folder, plugins folder and setups are ready; it uses run.sh's start
# (every process it starts is stopped by pid on exit), cpu_ticks, mem_kb, wait_http, free_ports, record and log.
# Builds bench/streams/stream_mock.c (the upstream) and stream_load.c (the client) with cc, starts the mock, an
# nginx proxy to it and one gatewayhost per setup, then runs the client against the mock directly, nginx, and
# each setup in turn. Per run: the server's CPU (utime + stime of its process tree) from the client's start to
# its end, its VmRSS before the run (idle) and once all N streams are open, its VmHWM after the run (each server
# serves one run, the mock's first is the direct one: the peak of that run), and the client's JSON.

STREAMS_SRC="$ROOT/bench/streams"
for tool in stream_mock stream_load; do
  cc -O2 -Wall -Wextra -o "$WORK/$tool" "$STREAMS_SRC/$tool.c"
done

# A proxy holds two sockets per stream (client and upstream). The gateway and the tools also raise their own
# soft limit; this raises the hard one where the shell may (root), and gives every process started here enough.
need_fds=$((2 * STREAMS + 3072))
hard_fds="$(ulimit -Hn)"
if [ "$hard_fds" != unlimited ] && [ "$hard_fds" -lt "$need_fds" ]; then
  ulimit -Hn "$need_fds" 2>/dev/null || log "cannot raise the hard open-file limit to $need_fds; it stays $hard_fds"
  hard_fds="$(ulimit -Hn)"
fi
if [ "$hard_fds" = unlimited ] || [ "$hard_fds" -ge "$need_fds" ]; then ulimit -Sn "$need_fds"; else ulimit -Sn "$hard_fds"; fi
log "open-file limit of the servers: $(ulimit -Sn) (~$need_fds needed for $STREAMS streams)"

# Ramp-up: new connections per second. By default the ramp takes at most half a stream's length (and 1,000/s at
# least), so that all N streams are open together for a while and the memory sample sees them all.
if [ -z "$STREAM_RATE" ]; then
  STREAM_RATE=$(( (2000 * STREAMS + STREAM_EVENTS * STREAM_GAP_MS - 1) / (STREAM_EVENTS * STREAM_GAP_MS) ))
  [ "$STREAM_RATE" -ge 1000 ] || STREAM_RATE=1000
fi

read -r -a PORTS <<<"$(free_ports $((2 + ${#GATEWAY_SETUPS[@]})))"
declare -A PORT_OF=([direct]="${PORTS[0]}" [nginx-proxy]="${PORTS[1]}")
gateway_ports=""
for i in "${!GATEWAY_SETUPS[@]}"; do
  setup="${GATEWAY_SETUPS[$i]}"; PORT_OF[$setup]="${PORTS[$((i + 2))]}"
  gateway_ports="$gateway_ports${gateway_ports:+,}$setup=${PORT_OF[$setup]}"
done
python3 "$STREAMS_SRC/stream_fixtures.py" "$WORK" --mock-port "${PORT_OF[direct]}" --proxy-port "${PORT_OF[nginx-proxy]}" \
  --gateway-ports "$gateway_ports" --plugins-dir "$PLUGINS" --streams "$STREAMS" --events "$STREAM_EVENTS" \
  --gap-ms "$STREAM_GAP_MS"

declare -A PID_OF
start stream-mock "$WORK/stream_mock" "${PORT_OF[direct]}"
PID_OF[direct]=$STARTED_PID
start nginx-proxy "$NGINX" -p "$WORK" -c "$WORK/proxy-streams.conf" -e stderr -g 'daemon off;'
PID_OF[nginx-proxy]=$STARTED_PID
export BENCH_KEY=sk-bench-dummy-key
for setup in "${GATEWAY_SETUPS[@]}"; do
  start "gateway-$setup" "$GATEWAY" --config "$WORK/gateway-streams-$setup.yaml"
  PID_OF[$setup]=$STARTED_PID
done
wait_http "http://127.0.0.1:${PORT_OF[direct]}/" "${PID_OF[direct]}" stream-mock
wait_http "http://127.0.0.1:${PORT_OF[nginx-proxy]}/" "${PID_OF[nginx-proxy]}" nginx-proxy
TARGETS=(direct nginx-proxy)
for setup in "${GATEWAY_SETUPS[@]}"; do
  wait_http "http://127.0.0.1:${PORT_OF[$setup]}/readyz" "${PID_OF[$setup]}" "gateway-$setup"
  TARGETS+=("$setup")
done
log "up: mock :${PORT_OF[direct]}, $(for t in "${TARGETS[@]:1}"; do printf '%s :%s  ' "$t" "${PORT_OF[$t]}"; done)"

python3 - "$RESULTS" "${TARGETS[@]}" <<PY
import json, os, platform, sys
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem_kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
meta = {
    "kind": "meta", "mode": "streams", "date": "$(date -u +%Y-%m-%dT%H:%MZ)", "nproc": os.cpu_count(), "cpu": cpu,
    "ram": f"{mem_kb / 1048576:.1f} GiB RAM", "kernel": platform.release(),
    "streams": $STREAMS, "events": $STREAM_EVENTS, "gap_ms": $STREAM_GAP_MS, "rate": $STREAM_RATE,
    "nofile": $(ulimit -Sn), "targets": sys.argv[2:],
    "gateway": "$GATEWAY, modified $(date -u -r "$GATEWAY" +%Y-%m-%dT%H:%MZ), sha256 $(sha256sum "$GATEWAY" | cut -c1-12)",
}
with open(sys.argv[1], "a") as f:
    f.write(json.dumps(meta) + "\n")
PY

CLK_TCK="$(getconf CLK_TCK)"
stream_target_path() {
  case "$1" in
    direct | nginx-proxy) echo "/e$STREAM_EVENTS/g$STREAM_GAP_MS/v1/chat/completions" ;;
    *) echo /v1/chat/completions ;;  # the gateway's stream target selects the shape in its base_url
  esac
}

psi_cpu_us() {  # the kernel's CPU pressure: µs during which some runnable task waited for a CPU (0 without PSI)
  awk '/^some/ { sub("total=", "", $5); print $5 }' /proc/pressure/cpu 2>/dev/null || echo 0
}

tcp_counters() {  # the kernel's TCP counters that tell why connections failed (listen queue full, aborts)
  awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1 } else { split($0, v); for (i = 2; i <= NF; i++)
    if (k[i] ~ /^(ListenOverflows|ListenDrops|TCPAbortOnData|TCPAbortOnClose|TCPReqQFullDoCookies|TCPSynRetrans)$/)
      printf "%s\"%s\":%s", (n++ ? "," : ""), k[i], v[i] } }' /proc/net/netstat
}

run_streams() {  # run_streams TARGET -> records one "streams" result
  local target="$1" pid="${PID_OF[$1]}" ready="$WORK/ready-$1" idle open_kb="" before after load_pid json
  local tcp tcp_before load psi_before t_before pressure
  sleep 2  # the previous run's connections finish closing
  idle="$(mem_kb "$pid" VmRSS)"
  load="$(cut -d' ' -f1 /proc/loadavg)"  # other work on the machine shows here: it competes for the same cores
  before="$(cpu_ticks "$pid")"
  tcp_before="{$(tcp_counters)}"
  psi_before="$(psi_cpu_us)"; t_before="$(date +%s%N)"
  "$WORK/stream_load" --port "${PORT_OF[$target]}" --path "$(stream_target_path "$target")" \
    --body "$WORK/request-streams.json" --streams "$STREAMS" --events "$STREAM_EVENTS" --rate "$STREAM_RATE" \
    --timeout "$(( STREAMS / STREAM_RATE + STREAM_EVENTS * STREAM_GAP_MS / 1000 + 60 ))" \
    --ready-file "$ready" --samples "$WORK/samples-$target.txt" >"$WORK/load-$target.json" 2>"$WORK/load-$target.log" &
  load_pid=$!
  PIDS+=("$load_pid")
  while kill -0 "$load_pid" 2>/dev/null; do
    if [ -z "$open_kb" ] && [ -e "$ready" ]; then open_kb="$(mem_kb "$pid" VmRSS)"; fi
    sleep 0.05
  done
  wait "$load_pid" || { log "$target: stream_load failed:"; cat "$WORK/load-$target.log" >&2; exit 1; }
  # Reaped: the cleanup must not signal its pid, which the system may give to another process by then.
  [ "${PIDS[-1]}" != "$load_pid" ] || unset 'PIDS[-1]'
  after="$(cpu_ticks "$pid")"
  # Share of the run's wall time in which some task waited for a CPU: how much the cores were oversubscribed.
  pressure="$(awk -v a="$psi_before" -v b="$(psi_cpu_us)" -v t0="$t_before" -v t1="$(date +%s%N)" \
    'BEGIN { printf "%.3f", (b - a) * 1000 / (t1 - t0) }')"
  tcp="$(python3 -c 'import json, sys; a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({k: b[k] - a[k] for k in a}, separators=(",", ":")))' "$tcp_before" "{$(tcp_counters)}")"
  json="$(cat "$WORK/load-$target.json")"
  record "{\"kind\":\"streams\",\"setup\":\"$target\",\"cpu_ticks\":$((after - before)),\"clk_tck\":$CLK_TCK,\"rss_idle_kb\":$idle,\"rss_open_kb\":${open_kb:-null},\"rss_end_kb\":$(mem_kb "$pid" VmRSS),\"rss_hwm_kb\":$(mem_kb "$pid" VmHWM),\"tcp\":$tcp,\"loadavg\":$load,\"cpu_pressure\":$pressure,${json#\{}"
  log "$target: $(python3 -c 'import json, sys; d = json.loads(sys.argv[1])
print("%(ok)s ok, %(failed)s failed, %(events)s events, p50 %(p50_us)s us, p99 %(p99_us)s us" % d,
      {k: v for k, v in d["failures"].items() if v})' "$json"); kernel TCP counters during the run: $tcp"
  if [ -z "$open_kb" ]; then log "$target: the $STREAMS streams were never all open at once: no memory sample"; fi
  local name="gateway-$target"
  case "$target" in direct) name=stream-mock ;; nginx-proxy) name=nginx-proxy ;; esac
  if ! grep -q '"failed":0,' <<<"$json"; then  # what the server said about it, if anything
    log "$target: failed streams; the server's last warnings and errors ($WORK/$name.log):"
    grep -v ' info ' "$WORK/$name.log" | tail -8 >&2 || true
  fi
  if ! kill -0 "$pid" 2>/dev/null; then log "$target exited during the run:"; tail -20 "$WORK/$name.log" >&2; exit 1; fi
}

for target in "${TARGETS[@]}"; do
  log "streams: $target ($STREAMS streams of $STREAM_EVENTS events, ${STREAM_GAP_MS} ms apart, $STREAM_RATE connects/s)"
  run_streams "$target"
done

[ -z "$RAW_COPY" ] || cp "$RESULTS" "$RAW_COPY"
python3 "$STREAMS_SRC/stream_report.py" "$RESULTS"
