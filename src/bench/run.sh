#!/usr/bin/env bash
# ECB benchmark runner: S1 (idle connections: heap and RSS per connection) and S2 (fan-out to one
# stream: latency and server CPU per delivery under a fixed-rate open-model publisher, step by
# step) against ECB (the packaged jar, started as a user would; over SockJS and over Socket.IO),
# uWebSockets.js and Socket.IO 4.8 on Node.js and a raw Vert.x broadcast server, with one Node
# load client (src/bench/node/load.js) for all of them; then, for ECB only, S3 (chat: threads of 4
# members sending through ecb.sendMessage, webhook round trip to the stub included, latency send ->
# delivery at the other members beside the stub's own latency; io.ecb.bench.LoadClient) and S4 (S2
# on a two-node cluster: publisher on node A, subscribers on node B, ratio to S2). Server and load
# are pinned to different cores with taskset. See src/bench/README.md.
#
#   bash src/bench/run.sh [quick|full]      (quick: ~6 minutes, small numbers, smoke test only)
#
# Environment: SERVER_CPU (default 0), LOAD_CPU (default 1), BENCH_SKIP_BUILD=1 to reuse the jar,
# PROTOS (default "ecb ecb-sio uws sio raw"; S1 and S2 only), SCENARIOS (default "s1 s2 s3 s4"),
# S4_CPU_A / S4_CPU_B (the two S4 nodes' cores, default SERVER_CPU for both).
set -euo pipefail

MODE=${1:-quick}
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/target/bench
mkdir -p "$OUT"

SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PROTOS=${PROTOS:-"ecb ecb-sio uws sio raw"}
SCENARIOS=${SCENARIOS:-"s1 s2 s3 s4"}
ECB_PORT=${ECB_PORT:-18080}
ECB_PORT2=${ECB_PORT2:-18081}   # S4's second node
STUB_PORT=${STUB_PORT:-18091}
RAW_PORT=${RAW_PORT:-18092}
SIO_PORT=${SIO_PORT:-18093}
UWS_PORT=${UWS_PORT:-18094}
HZ_PORT=${HZ_PORT:-15801}
HZ_PORT2=${HZ_PORT2:-15811}     # S4's second node
# S4: with two cores both nodes share the server core (the same CPU that S2's single node had).
S4_CPU_A=${S4_CPU_A:-$SERVER_CPU}
S4_CPU_B=${S4_CPU_B:-$SERVER_CPU}
SECRET=bench-secret
API_KEY=bench-publisher
# Same JVM flags for ECB and the raw Vert.x server: the image's (pom.xml, JAVA_TOOL_OPTIONS) that
# matter on one core, with -Xmx2g standing for a pod's memory limit (G1; promote what outlives one
# young collection, so history is not copied between survivors; process dirty cards between pauses
# rather than in them; give back the heap a burst of connecting clients took; optimise the request
# path after a twentieth of the usual calls).
JIT_OPTS="-XX:CompileCommand=quiet"
for p in io.ecb io.vertx io.netty com.hazelcast com.fasterxml; do JIT_OPTS+=" -XX:CompileCommand=CompileThresholdScaling,$p.*::*,0.05"; done
SERVER_JAVA_OPTS=${SERVER_JAVA_OPTS:-"-Xmx2g -XX:+UseG1GC -XX:MaxTenuringThreshold=1 -XX:G1RSetUpdatingPauseTimePercent=1 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 $JIT_OPTS"}
# S3's Java load client and the stub backend are instruments, each pinned to the one load core:
# the serial collector with a small young generation keeps each of their pauses to 1-2 ms (G1 on
# one core paused them 10-80 ms, and the stub's pauses were outside its handler's timing).
LOAD_JAVA_OPTS=${LOAD_JAVA_OPTS:-"-Xmx1g -XX:+UseSerialGC -Xmn16m -XX:MaxTenuringThreshold=0"}
STUB_JAVA_OPTS=${STUB_JAVA_OPTS:-"-Xmx1g -XX:+UseSerialGC -Xmn8m -XX:MaxTenuringThreshold=0"}

# CHAT_*: S3's threads (4 members each, one sendMessage per member per second), measured seconds
# and unreported warm-up seconds.
case "$MODE" in
  quick) SUBS=200;  RATES=50,200,500;                  STEP_SECONDS=3;  IDLE_SIZES="1000"; FANOUT_WARMUP=3
         CHAT_THREADS=50;  CHAT_SECONDS=10; CHAT_WARMUP=3 ;;
  full)  SUBS=1000; RATES=20,50,100,150,200,400;           STEP_SECONDS=15; IDLE_SIZES="5000 19000"; FANOUT_WARMUP=120
         CHAT_THREADS=500; CHAT_SECONDS=60; CHAT_WARMUP=30 ;;
  *) echo "usage: bash src/bench/run.sh [quick|full]" >&2; exit 2 ;;
esac
RATES=${S2_RATES:-$RATES}   # e.g. S2_RATES=20,50 to repeat the low rates only
SUBS=${S2_SUBS:-$SUBS}      # e.g. S2_SUBS=10: deliveries cost little, each message's own path shows
FANOUT_WARMUP=${S2_WARMUP:-$FANOUT_WARMUP}   # e.g. S2_WARMUP=30, as full mode had before the seventeenth set
PER_LOAD_PROCESS=5000   # these machines cap open files at 20,000 per process
# ECB accepts limits.connectionsPerIp (1,000) connections per client address: S1's load processes
# spread theirs over 5 source addresses each (127.0.0.10 up), S2's 1,000 and S3's 2,000 over 4.

PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  # The load processes of S2 and S4 run in pipelines (not in PIDS): this runner's own children.
  for p in $(pgrep -P $$ 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

# ---- build ----------------------------------------------------------------------------------------
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -f target/ecb.jar ]; then
  log "building target/ecb.jar"
  mvn -q -B package -DskipTests
fi
log "compiling the benchmark (src/bench/java, outside the server jar)"
mvn -q -B -Pbench dependency:build-classpath -Dmdep.outputFile="$OUT/classpath" -Dmdep.includeScope=test >/dev/null
rm -rf "$OUT/classes" && mkdir -p "$OUT/classes"
# The stub backend is the tests' (src/test/java/io/ecb/support): javac takes what it uses from the
# test sources, and the server's own classes (the webhook checks) from target/classes.
javac -nowarn -implicit:class -d "$OUT/classes" -sourcepath src/test/java -cp "target/classes:$(cat "$OUT/classpath")" src/bench/java/io/ecb/bench/*.java
CP="$OUT/classes:$ROOT/target/classes:$(cat "$OUT/classpath")"
log "npm ci in src/bench/node (load client, Socket.IO, uWebSockets.js)"
(cd src/bench/node && npm ci --no-audit --no-fund --silent >/dev/null 2>&1)
CLK_TCK=$(getconf CLK_TCK)

# ---- helpers --------------------------------------------------------------------------------------
wait_url() { # url [seconds]
  local deadline=$((SECONDS + ${2:-60}))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { log "timed out waiting for $1"; return 1; }
    sleep 0.3
  done
}

stop_pid() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# live heap in KiB after a full GC: jcmd for the JVMs, global.gc() behind /stats for Node.
heap_kib() { # proto pid
  if [ "$1" = sio ] || [ "$1" = uws ]; then
    curl -fsS "http://127.0.0.1:$PORT/stats" | sed -E 's/.*"heapUsed":([0-9]+).*/\1/' | awk '{printf "%d", $1/1024}'
  else
    # GC.class_histogram runs a full GC first and sums the live objects: right whatever the collector.
    jcmd "$2" GC.class_histogram | awk '$1 == "Total" {printf "%d", $3 / 1024}'
  fi
}

# One ECB node from the packaged jar; sets ECB_PID. Extra VAR=value arguments go into its environment;
# EXTRA_JAVA_OPTS (empty except in S4) goes after SERVER_JAVA_OPTS.
ECB_PID=
EXTRA_JAVA_OPTS=
start_ecb() { # log http-port hazelcast-port cluster-name members cpu [VAR=value...]
  local log=$1 port=$2 hz=$3 cluster=$4 members=$5 cpu=$6; shift 6
  env ECB_DEMO_ENABLED=false ECB_CLUSTER_NAME="$cluster" ECB_CLUSTER_PORT=$hz \
    ECB_CLUSTER_MEMBERS="$members" ECB_HTTP_HOST=127.0.0.1 ECB_HTTP_PORT=$port \
    ECB_BACKEND_URL="http://127.0.0.1:$STUB_PORT/hooks" ECB_BACKEND_WEBHOOK_SECRET=$SECRET \
    ECB_AUTH_PUBLIC_KEY="$(cat "$OUT/public.pem")" ECB_PUBLISHERS=$API_KEY "$@" \
    taskset -c "$cpu" java $SERVER_JAVA_OPTS $EXTRA_JAVA_OPTS -jar target/ecb.jar >"$log" 2>&1 &
  ECB_PID=$!
  PIDS+=("$ECB_PID")
  wait_url "http://127.0.0.1:$port/health" 120
}

SERVER_PID=
start_server() { # proto
  case "$1" in
    ecb|ecb-sio)
      start_ecb "$OUT/ecb.log" $ECB_PORT $HZ_PORT "bench-$$-$RANDOM" "127.0.0.1:$HZ_PORT" "$SERVER_CPU"
      SERVER_PID=$ECB_PID; PORT=$ECB_PORT ;;
    raw)
      taskset -c "$SERVER_CPU" java $SERVER_JAVA_OPTS -cp "$CP" io.ecb.bench.RawBroadcastServer --port=$RAW_PORT >"$OUT/raw.log" 2>&1 &
      SERVER_PID=$!; PORT=$RAW_PORT
      wait_url "http://127.0.0.1:$RAW_PORT/stats" 60 ;;
    sio)
      (cd src/bench/node && PORT=$SIO_PORT exec taskset -c "$SERVER_CPU" node --expose-gc socketio-server.js) >"$OUT/sio.log" 2>&1 &
      SERVER_PID=$!; PORT=$SIO_PORT
      wait_url "http://127.0.0.1:$SIO_PORT/stats" 60 ;;
    uws)
      (cd src/bench/node && PORT=$UWS_PORT exec taskset -c "$SERVER_CPU" node --expose-gc uws-server.js) >"$OUT/uws.log" 2>&1 &
      SERVER_PID=$!; PORT=$UWS_PORT
      wait_url "http://127.0.0.1:$UWS_PORT/stats" 60 ;;
  esac
  PIDS+=("$SERVER_PID")
  sleep 2   # let the server settle (JIT, Hazelcast join) before measuring
}

# Always run in a subshell (in the background or in a pipeline): exec makes that subshell the load
# process, so the PID the runner kills is the load process itself, not a shell that would leave it behind.
load() { # args...  (S1, S2, S4: the Node load client)
  cd src/bench/node && exec taskset -c "$LOAD_CPU" node load.js --key="$OUT/private.pem" --api-key=$API_KEY \
    --clk-tck="$CLK_TCK" --server-cpu="$SERVER_CPU" --load-cpu="$LOAD_CPU" "$@"
}
chat_load() { # args...  (S3: the Java chat client)
  exec taskset -c "$LOAD_CPU" java $LOAD_JAVA_OPTS -cp "$CP" io.ecb.bench.LoadClient --loops=1 \
    --key="$OUT/private.pem" "$@"
}

declare -A RES

# S1: N idle, authenticated, subscribed connections, spread over load processes of <= 5,000.
s1() { # proto n
  local proto=$1 n=$2
  start_server "$proto"
  local heap0 rss0; heap0=$(heap_kib "$proto" "$SERVER_PID"); rss0=$(rss_kib "$SERVER_PID")
  local procs=$(( (n + PER_LOAD_PROCESS - 1) / PER_LOAD_PROCESS )) lpids=() i ready=0
  for ((i = 0; i < procs; i++)); do
    local share=$(( n / procs + (i < n % procs ? 1 : 0) ))
    load --proto="$proto" --port="$PORT" --mode=idle --hold=900 --subs=$share --first=$((i * PER_LOAD_PROCESS)) \
      --sources=5 --source-base=$((10 + 5 * i)) </dev/null >"$OUT/s1-$proto-$n-$i.log" 2>&1 &
    lpids+=($!); PIDS+=($!)
  done
  for ((i = 0; i < procs; i++)); do
    local f="$OUT/s1-$proto-$n-$i.log" deadline=$((SECONDS + 600))
    until grep -q '^READY' "$f"; do
      kill -0 "${lpids[$i]}" 2>/dev/null || { log "load process died: $(tail -3 "$f")"; break; }
      [ $SECONDS -lt $deadline ] || { log "timeout waiting for $f"; break; }
      sleep 0.5
    done
    local r; r=$(awk '/^READY/ {print $2}' "$f"); ready=$((ready + ${r:-0}))
  done
  sleep 3
  local heap1 rss1; heap1=$(heap_kib "$proto" "$SERVER_PID"); rss1=$(rss_kib "$SERVER_PID")
  local est; est=$(ss -Htn state established "( sport = :$PORT )" 2>/dev/null | wc -l)
  RES[s1_open_${proto}_$n]=$est
  for p in "${lpids[@]}"; do stop_pid "$p"; done
  stop_pid "$SERVER_PID"
  RES[s1_ready_${proto}_$n]=$ready
  if [ "$ready" -gt 0 ]; then
    RES[s1_heap_${proto}_$n]=$(awk -v a="$heap0" -v b="$heap1" -v n="$ready" 'BEGIN {printf "%.1f", (b - a) / n}')
    RES[s1_rss_${proto}_$n]=$(awk -v a="$rss0" -v b="$rss1" -v n="$ready" 'BEGIN {printf "%.1f", (b - a) / n}')
  fi
  log "S1 $proto n=$n ready=$ready open-at-measurement=$est heap ${heap0}K->${heap1}K rss ${rss0}K->${rss1}K"
}

# S2: fan-out to one stream with $SUBS subscribers, rates stepped up until p99 > 100 ms.
s2() { # proto
  local proto=$1
  start_server "$proto"
  load --proto="$proto" --port="$PORT" --mode=fanout --subs=$SUBS --rates=$RATES --step-seconds=$STEP_SECONDS \
    --warmup-seconds=$FANOUT_WARMUP --sources=4 --source-base=10 --p99-limit-ms=100 --server-pids="$SERVER_PID" </dev/null 2>&1 \
    | tee "$OUT/s2-$proto.log" | grep -E '^(STEP|STOP|CONNECTED|WARN)' >&2 || true
  stop_pid "$SERVER_PID"
  read -r RES[s2_dps_$proto] RES[s2_p50_$proto] RES[s2_p99_$proto] RES[s2_p999_$proto] <<<"$(best_step "$OUT/s2-$proto.log")"
}

# The best step of a fan-out log within the limits (p99 <= 100 ms, nothing lost, no publish errors):
# "deliveries/s p50 p99 p99.9", or "0 - - -".
best_step() { # log
  awk '/^STEP/ {ok = 1; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
               if (v["p99_ms"] + 0 > 100 || v["lost"] + 0 > 0 || v["publish_errors"] + 0 > 0) ok = 0
               if (ok && v["delivered_per_s"] + 0 > bestd) { bestd = v["delivered_per_s"] + 0; line = v["delivered_per_s"] " " v["p50_ms"] " " v["p99_ms"] " " v["p999_ms"] } }
             END { print (line == "" ? "0 - - -" : line) }' "$1"
}

# S3 (ECB only): $CHAT_THREADS threads of 4 members, each member one sendMessage per second through
# the bridge (ECB calls the stub's addThreadMessage, then fans out to ecb.thread.<id>); latency from
# the intended send time to delivery at every other member, beside the stub's own handling time.
s3() {
  start_server ecb
  chat_load --port="$PORT" --threads=$CHAT_THREADS --seconds=$CHAT_SECONDS \
    --warmup-seconds=$CHAT_WARMUP --stub-port=$STUB_PORT --sources=4 --source-base=10 \
    ${CHAT_SLOW_LOG:+--slow-log=$CHAT_SLOW_LOG} </dev/null 2>&1 \
    | tee "$OUT/s3-ecb.log" | grep -E '^(CHAT|CONNECTED|WARN|sendMessage failed)' >&2 || true
  stop_pid "$SERVER_PID"
  local k
  for k in delivered_per_s p50_ms p99_ms p999_ms max_ms lost send_errors sent expected delivered reply_p50_ms reply_p99_ms \
           stub_add_count stub_add_p50_ms stub_add_p99_ms stub_add_p999_ms send_lag_p50_ms send_lag_p99_ms \
           to_stub_p50_ms to_stub_p99_ms ecb_webhook_p99_ms target_p99_ms target_met; do
    RES[s3_$k]=$(awk -v k="$k" '/^CHAT / { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$OUT/s3-ecb.log")
  done
}

# S4 (ECB only): S2's fan-out with the subscribers on node B and the publisher's POSTs to node A,
# two processes of the packaged jar in one Hazelcast cluster.
s4() {
  local cluster="bench-$$-$RANDOM-s4" members="127.0.0.1:$HZ_PORT,127.0.0.1:$HZ_PORT2" a b f deadline
  # The jar's logging settings, plus Hazelcast's membership lines ("Members {size:2, ...}") so the
  # runner can see that the two nodes joined (only logged at start-up and on membership changes).
  unzip -p target/ecb.jar logging.properties >"$OUT/s4-logging.properties"
  echo "com.hazelcast.internal.cluster.level=INFO" >>"$OUT/s4-logging.properties"
  EXTRA_JAVA_OPTS="-Djava.util.logging.config.file=$OUT/s4-logging.properties"
  start_ecb "$OUT/ecb-s4-a.log" $ECB_PORT $HZ_PORT "$cluster" "$members" "$S4_CPU_A" ECB_CLUSTER_HOST=127.0.0.1; a=$ECB_PID
  start_ecb "$OUT/ecb-s4-b.log" $ECB_PORT2 $HZ_PORT2 "$cluster" "$members" "$S4_CPU_B" ECB_CLUSTER_HOST=127.0.0.1; b=$ECB_PID
  EXTRA_JAVA_OPTS=
  # Both must see a two-member cluster (Hazelcast logs "Members {size:2, ...}") before measuring.
  deadline=$((SECONDS + 60))
  for f in "$OUT/ecb-s4-a.log" "$OUT/ecb-s4-b.log"; do
    until grep -q 'Members {size:2' "$f"; do
      [ $SECONDS -lt $deadline ] || { log "S4: $f shows no two-member cluster after 60 s"; break; }
      sleep 0.5
    done
  done
  sleep 2
  load --proto=ecb --port=$ECB_PORT2 --publish-port=$ECB_PORT --mode=fanout --subs=$SUBS --rates=$RATES \
    --step-seconds=$STEP_SECONDS --warmup-seconds=$FANOUT_WARMUP --sources=4 --source-base=10 --p99-limit-ms=100 \
    --server-pids="$a,$b" </dev/null 2>&1 \
    | tee "$OUT/s4-ecb.log" | grep -E '^(STEP|STOP|CONNECTED|WARN)' >&2 || true
  stop_pid "$b"; stop_pid "$a"
  read -r RES[s4_dps] RES[s4_p50] RES[s4_p99] RES[s4_p999] <<<"$(best_step "$OUT/s4-ecb.log")"
}

# ---- run --------------------------------------------------------------------------------------------
log "mode=$MODE protos=[$PROTOS] scenarios=[$SCENARIOS] server cpu=$SERVER_CPU load cpu=$LOAD_CPU subs=$SUBS rates=$RATES idle=[$IDLE_SIZES] chat threads=$CHAT_THREADS"
rm -f "$OUT"/public.pem "$OUT"/private.pem "$OUT"/s1-*.log "$OUT"/s2-*.log "$OUT"/s3-*.log "$OUT"/s4-*.log "$OUT"/ecb-s4-*.log
taskset -c "${STUB_CPU:-$LOAD_CPU}" java $STUB_JAVA_OPTS -cp "$CP" io.ecb.bench.StubBackend --port=$STUB_PORT --dir="$OUT" --secret=$SECRET >"$OUT/stub.log" 2>&1 &
PIDS+=($!)
wait_url "http://127.0.0.1:$STUB_PORT/bench/stats" 60

for proto in $PROTOS; do
  if [[ " $SCENARIOS " == *" s1 "* ]]; then for n in $IDLE_SIZES; do s1 "$proto" "$n"; done; fi
  if [[ " $SCENARIOS " == *" s2 "* ]]; then s2 "$proto"; fi
done
if [[ " $SCENARIOS " == *" s3 "* ]]; then s3; fi
if [[ " $SCENARIOS " == *" s4 "* ]]; then s4; fi

# ---- table ------------------------------------------------------------------------------------------
name() { case $1 in ecb) echo "ECB SockJS";; ecb-sio) echo "ECB Socket.IO";; uws) echo "uWebSockets.js";; sio) echo "Socket.IO 4.8";; raw) echo "raw Vert.x";; esac; }
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else printf "-" }'; }
# One field of the STEP line at a rate in a fan-out log (empty when that step did not run).
stepv() { # log rate key
  [ -f "$1" ] || return 0
  awk -v r="$2" -v k="$3" '/^STEP/ { delete v; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                                      if (v["rate"] == r) print v[k] }' "$1"
}
# "p99 ms / server us per delivery", with C when the step was client-bound and F when it failed.
cell() { # log rate
  local p99 us cb pass
  p99=$(stepv "$1" "$2" p99_ms); [ -n "$p99" ] || { echo "-"; return; }
  us=$(stepv "$1" "$2" server_us_per_delivery); cb=$(stepv "$1" "$2" client_bound); pass=$(stepv "$1" "$2" pass)
  echo "$p99 / $us$([ "$cb" = yes ] && echo " C")$([ "$pass" = no ] && echo " F")"
}
# Is a <= b + slack (both numbers)? "yes", "no" or "-".
le() { awk -v a="${1:-}" -v b="${2:-}" -v s="${3:-0}" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-") print "-"; else print (a + 0 <= b + s ? "yes" : "no") }'; }
{
  echo
  echo "ECB benchmark ($MODE) $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); server cpu $SERVER_CPU, load cpu $LOAD_CPU"
  echo "load average when the table was written: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [[ " $SCENARIOS " == *" s1 "* ]]; then
    printf '%-40s' "S1 idle, per connection"; for p in $PROTOS; do printf ' | %15s' "$(name $p)"; done
    printf ' | %13s | %13s\n' "ECB/uWS" "ECB-SIO/SIO"
    row() { # label key-prefix key-suffix
      printf '%-40s' "$1"; for p in $PROTOS; do printf ' | %15s' "${RES[${2}_${p}${3}]:--}"; done
      printf ' | %13s | %13s\n' "$(ratio "${RES[${2}_ecb${3}]:-}" "${RES[${2}_uws${3}]:-}")" "$(ratio "${RES[${2}_ecb-sio${3}]:-}" "${RES[${2}_sio${3}]:-}")"
    }
    for n in $IDLE_SIZES; do
      row "n=$n connections ready" s1_ready "_$n"
      row "n=$n open when measured (ss)" s1_open "_$n"
      row "n=$n heap after GC (KiB)" s1_heap "_$n"
      row "n=$n RSS (KiB)" s1_rss "_$n"
    done
  fi
  if [[ " $SCENARIOS " == *" s2 "* ]]; then
    echo
    echo "S2 fan-out, $SUBS subscribers, one row per rate (msg/s): p99 ms / server CPU us per delivery"
    echo "(C: client-bound, the load core or the load process above 90%, not comparable; F: failed, p99 > 100 ms or lost deliveries)"
    printf '%-8s' "rate"; for p in $PROTOS; do printf ' | %22s' "$(name $p)"; done; echo
    for r in ${RATES//,/ }; do
      printf '%-8s' "$r"; for p in $PROTOS; do printf ' | %22s' "$(cell "$OUT/s2-$p.log" "$r")"; done; echo
    done
    echo
    echo "S2 p99 ms of the subscribers that decode every frame as a browser library does (1 in 10), beside all subscribers' p99:"
    printf '%-8s' "rate"; for p in $PROTOS; do printf ' | %22s' "$(name $p)"; done; echo
    for r in ${RATES//,/ }; do
      printf '%-8s' "$r"
      for p in $PROTOS; do printf ' | %22s' "$(stepv "$OUT/s2-$p.log" "$r" parsed_p99_ms) (all $(stepv "$OUT/s2-$p.log" "$r" p99_ms))"; done; echo
    done
    if [[ " $PROTOS " == *" ecb "* && " $PROTOS " == *" uws "* ]]; then
      echo
      echo "Targets (issue 16) per rate: ECB server CPU per delivery <= uWS's; ECB p99 <= uWS p99 + 10 ms up to 150 msg/s"
      for r in ${RATES//,/ }; do
        ce=$(stepv "$OUT/s2-ecb.log" "$r" server_us_per_delivery); cu=$(stepv "$OUT/s2-uws.log" "$r" server_us_per_delivery)
        pe=$(stepv "$OUT/s2-ecb.log" "$r" p99_ms); pu=$(stepv "$OUT/s2-uws.log" "$r" p99_ms)
        printf '  %-6s cpu %8s <= %-8s %-4s' "$r" "${ce:--}" "${cu:--}" "$(le "$ce" "$cu")"
        if [ "$r" -le 150 ]; then printf ' p99 %8s <= %-8s + 10 %s' "${pe:--}" "${pu:--}" "$(le "$pe" "$pu" 10)"; fi
        echo
      done
    fi
    if [[ " $PROTOS " == *" ecb-sio "* && " $PROTOS " == *" sio "* ]]; then
      echo
      echo "Targets (issue 14) per rate: ECB over Socket.IO at least as good as Socket.IO's server (p99 and CPU per delivery)"
      for r in ${RATES//,/ }; do
        e=$(stepv "$OUT/s2-ecb-sio.log" "$r" server_us_per_delivery); u=$(stepv "$OUT/s2-sio.log" "$r" server_us_per_delivery)
        pe=$(stepv "$OUT/s2-ecb-sio.log" "$r" p99_ms); pu=$(stepv "$OUT/s2-sio.log" "$r" p99_ms)
        printf '  %-6s cpu %8s <= %-8s %-4s p99 %8s <= %-8s %s\n' "$r" "${e:--}" "${u:--}" "$(le "$e" "$u")" "${pe:--}" "${pu:--}" "$(le "$pe" "$pu")"
      done
    fi
    echo
    echo "S2 steps (every step, coordinated-omission corrected; offered = rate x subscribers):"
    for p in $PROTOS; do grep -E '^STEP|^STOP|^LOSS' "$OUT/s2-$p.log" | sed 's/^/  /' || true; done
  fi
  if [[ " $SCENARIOS " == *" s3 "* ]]; then
    echo
    echo "S3 chat (ECB only): $CHAT_THREADS threads x 4 members, one sendMessage/s per member, ${CHAT_SECONDS} s after ${CHAT_WARMUP} s warm-up;"
    echo "latency = intended send -> delivery at each other member (webhook round trip included, coordinated-omission corrected)"
    kv() { printf '  %-52s %s\n' "$1" "$2"; }
    kv "ECB deliveries/s" "${RES[s3_delivered_per_s]:--}"
    kv "ECB send->delivery p50 / p99 / p99.9 / max ms" "${RES[s3_p50_ms]:--} / ${RES[s3_p99_ms]:--} / ${RES[s3_p999_ms]:--} / ${RES[s3_max_ms]:--}"
    kv "sent / deliveries expected / delivered / lost" "${RES[s3_sent]:--} / ${RES[s3_expected]:--} / ${RES[s3_delivered]:--} / ${RES[s3_lost]:--}"
    kv "sendMessage errors" "${RES[s3_send_errors]:--}"
    kv "sendMessage reply p50 / p99 ms" "${RES[s3_reply_p50_ms]:--} / ${RES[s3_reply_p99_ms]:--}"
    kv "stub addThreadMessage count, p50 / p99 / p99.9 ms" "${RES[s3_stub_add_count]:--}, ${RES[s3_stub_add_p50_ms]:--} / ${RES[s3_stub_add_p99_ms]:--} / ${RES[s3_stub_add_p999_ms]:--}"
    kv "load client's send lag p50 / p99 ms" "${RES[s3_send_lag_p50_ms]:--} / ${RES[s3_send_lag_p99_ms]:--}"
    kv "intended send -> at the stub p50 / p99 ms" "${RES[s3_to_stub_p50_ms]:--} / ${RES[s3_to_stub_p99_ms]:--}"
    kv "ECB's addThreadMessage round trip p99 ms (its /metrics)" "${RES[s3_ecb_webhook_p99_ms]:--}"
    kv "target: ECB p99 <= stub p99 + 5 ms" "${RES[s3_p99_ms]:--} <= ${RES[s3_target_p99_ms]:--}: ${RES[s3_target_met]:--}"
  fi
  if [[ " $SCENARIOS " == *" s4 "* ]]; then
    echo
    echo "S4 cluster (ECB only): S2 with the publisher on node A (cpu $S4_CPU_A) and $SUBS subscribers on node B (cpu $S4_CPU_B)"
    printf '%-44s | %14s | %14s | %10s\n' "metric" "S4 (2 nodes)" "S2 (1 node)" "S4/S2"
    s4row() { printf '%-44s | %14s | %14s | %10s\n' "$1" "${RES[s4_$2]:--}" "${RES[s2_${2}_ecb]:--}" "$(ratio "${RES[s4_$2]:-}" "${RES[s2_${2}_ecb]:-}")"; }
    s4row "S4 $SUBS subs: deliveries/s at p99<=100ms" dps
    s4row "S4 p50 ms at that step" p50
    s4row "S4 p99 ms at that step" p99
    s4row "S4 p99.9 ms at that step" p999
    [ -n "${RES[s2_dps_ecb]:-}" ] || echo "(no S2 ECB result in this run: add s2 to SCENARIOS and ecb to PROTOS for the S4/S2 ratio; target S4/S2 >= 0.8)"
    echo "S4 steps:"
    grep -E '^STEP|^STOP' "$OUT/s4-ecb.log" | sed 's/^/  /' || true
  fi
  echo "Logs: $OUT"
} | tee "$OUT/results-$MODE.txt"
