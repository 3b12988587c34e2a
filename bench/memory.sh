#!/usr/bin/env bash
# Memory checks of sluice (issue 2): memory stays bounded on unbounded input.
#
#   bash bench/memory.sh            (MEM_BYTES=1000000000 by default)
#   MEM_BYTES=200000000 bash bench/memory.sh     a quicker run
#
# 1. fast consumer: 1 GB of NDJSON, generated on the fly by bench/gen.js (never
#    stored), piped through `node bin/sluice.js select a,b`; peak RSS must stay
#    below 150 MB.
# 2. slow consumer: the same into `(sleep 5; cat >/dev/null)`. While the
#    consumer sleeps, sluice must stop reading (backpressure): its resident set
#    and the bytes it has read (/proc/PID/io rchar) are sampled every 0.5 s and
#    must not grow; its peak RSS must stay below 150 MB too.
# 3. `node bin/sluice.js --from BIG.ndjson | head -1` exits 0, quickly, with
#    empty stderr (BIG is the 3,000,000-record bench file, made if missing).
# 4. (issue 4) `agg 'count, avg(v)' by k` over 1,000,000 distinct keys stays
#    below 400 MB peak RSS.
# 5. (issue 4) `agg p99(v)` over 10,000,000 values in one group stays below
#    120 MB: past 10,000 values a group keeps a DDSketch, not the values.
#
# Peak RSS is GNU time's %M (KiB); MB here are 10^6 bytes. Exit status 0 when
# every check passes, 1 otherwise.
set -u
cd "$(dirname "$0")/.."
BYTES=${MEM_BYTES:-1000000000}
LIMIT_KB=$((150000000 / 1024)) # 150 MB in KiB
GROWTH_KB=$((20000000 / 1024)) # allowed RSS growth while the consumer sleeps: 20 MB
OUT=bench/out
SLUICE=${SLUICE:-bin/sluice.js} # another build can be checked with SLUICE=path/to/sluice.js
mkdir -p "$OUT"
fails=0
mb() { echo $(($1 * 1024 / 1000000)); }
# errline FILE: the line of a stderr file that says what went wrong.
errline() { grep -m1 -E '^(sluice:|[A-Za-z]*Error)' "$1" || head -1 "$1"; }
# report STATUS TEXT: prints PASS or MISS (STATUS 0 or not) before TEXT, counts misses.
report() {
  if [ "$1" = 0 ]; then echo "PASS  $2"; else echo "MISS  $2"; fails=$((fails + 1)); fi
}

echo "sluice memory checks: $BYTES bytes of NDJSON, node $(node --version), $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"

# --- 1. fast consumer
node bench/gen.js --stdout wide --bytes "$BYTES" |
  /usr/bin/time -f '%e %M' -o "$OUT/mem-fast.time" node "$SLUICE" select a,b >/dev/null 2>"$OUT/mem-fast.err"
st=(${PIPESTATUS[@]})
read -r secs kb < <(tail -1 "$OUT/mem-fast.time")
if [ "${st[1]}" != 0 ]; then
  echo "MISS  1. fast consumer: sluice failed: $(errline "$OUT/mem-fast.err")"
  fails=$((fails + 1))
  fast_kb=0
else
  fast_kb=$kb
  report $((kb < LIMIT_KB ? 0 : 1)) "1. fast consumer: peak RSS $(mb "$kb") MB (< 150), $secs s, $((BYTES / 1000000)) MB in"
fi

# --- 2. slow consumer, sampled
node bench/gen.js --stdout wide --bytes "$BYTES" |
  /usr/bin/time -f '%e %M' -o "$OUT/mem-slow.time" node "$SLUICE" select a,b 2>"$OUT/mem-slow.err" |
  (sleep 5; cat >/dev/null) &
last=$!
# Find sluice: the child of the /usr/bin/time this script started.
spid=""
for _ in $(seq 1 50); do
  tpid=$(ps -o pid=,comm= --ppid $$ | awk '$2 == "time" { print $1; exit }')
  [ -n "$tpid" ] && spid=$(ps -o pid= --ppid "$tpid" | head -1 | tr -d ' ')
  [ -n "$spid" ] && break
  sleep 0.1
done
samples=()
rss_at() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
rchar_at() { awk '/^rchar/ { print $2 }' "/proc/$1/io" 2>/dev/null; }
if [ -n "$spid" ]; then
  for i in $(seq 1 9); do # 0.5 s to 4.5 s: the consumer is asleep
    sleep 0.5
    r=$(rss_at "$spid")
    c=$(rchar_at "$spid")
    [ -z "$r" ] && break
    samples+=("$r:$c")
  done
fi
wait "$last"
read -r secs kb < <(tail -1 "$OUT/mem-slow.time")
if [ -z "$spid" ] || [ ${#samples[@]} -lt 3 ]; then
  echo "MISS  2. slow consumer: could not sample sluice ($(errline "$OUT/mem-slow.err"))"
  fails=$((fails + 1))
else
  series=""
  for i in "${!samples[@]}"; do
    r=${samples[$i]%%:*}
    series+="$(awk -v t="$i" 'BEGIN { printf "%.1f", (t + 1) / 2 }')s $(mb "$r")MB; "
  done
  first=${samples[1]} # at 1.0 s, after start-up
  lastS=${samples[-1]}
  grow=$((${lastS%%:*} - ${first%%:*}))
  readmb=$(((${lastS##*:} - ${first##*:}) / 1000000))
  ok=$((grow <= GROWTH_KB && kb < LIMIT_KB ? 0 : 1))
  report $ok "2. slow consumer: RSS while the consumer sleeps: ${series%; }"
  echo "      growth 1.0 s -> $(awk -v n=${#samples[@]} 'BEGIN { printf "%.1f", n / 2 }') s: $(mb $grow) MB (<= 20), read meanwhile: $readmb MB; peak RSS $(mb "$kb") MB (< 150; fast run $(mb "$fast_kb") MB), $secs s"
fi

# --- 3. head -1 on a big file
big=$(ls bench/data/flights-3000000-s*.ndjson 2>/dev/null | head -1)
if [ -z "$big" ]; then
  node bench/gen.js --records 3000000 >/dev/null 2>&1
  big=$(ls bench/data/flights-3000000-s*.ndjson | head -1)
fi
t0=$(date +%s.%N)
node "$SLUICE" --from "$big" 2>"$OUT/mem-head.err" | head -1 >"$OUT/mem-head.out"
st=(${PIPESTATUS[@]})
t1=$(date +%s.%N)
errbytes=$(wc -c <"$OUT/mem-head.err")
lines=$(wc -l <"$OUT/mem-head.out")
ok=$((st[0] == 0 && errbytes == 0 && lines == 1 ? 0 : 1))
report $ok "3. sluice --from $(basename "$big") ($(($(stat -c %s "$big") / 1000000)) MB) | head -1: exit ${st[0]}, stderr $errbytes bytes, $lines line out, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
[ "$errbytes" != 0 ] && echo "      stderr: $(errline "$OUT/mem-head.err")"

# --- 4. agg with one million distinct group keys (issue 4: < 400 MB)
AGG_LIMIT_KB=$((400000000 / 1024))
node -e '
  const out = process.stdout; let i = 0; const N = 1000000;
  (function w() { let ok = true;
    while (i < N && ok) { let s = ""; for (let k = 0; k < 2000 && i < N; k++, i++) s += `{"k":"key-${i}","v":${i % 1000}}\n`; ok = out.write(s); }
    if (i < N) out.once("drain", w); })();' |
  /usr/bin/time -f '%e %M' -o "$OUT/mem-groups.time" node "$SLUICE" agg 'count, avg(v)' by k 2>"$OUT/mem-groups.err" | tail -1 >"$OUT/mem-groups.out"
read -r secs kb < <(tail -1 "$OUT/mem-groups.time")
report $((kb < AGG_LIMIT_KB ? 0 : 1)) "4. agg 'count, avg(v)' by k over 1,000,000 distinct keys: peak RSS $(mb "$kb") MB (< 400), $secs s, last: $(cat "$OUT/mem-groups.out")"

# --- 5. p99 over 10 million values in one group (issue 4: < 120 MB; values past 10,000 are not kept)
P99_LIMIT_KB=$((120000000 / 1024))
node -e '
  const out = process.stdout; let i = 0; const N = 10000000;
  (function w() { let ok = true;
    while (i < N && ok) { let s = ""; for (let k = 0; k < 5000 && i < N; k++, i++) s += `{"v":${(i * 7919) % 100000}}\n`; ok = out.write(s); }
    if (i < N) out.once("drain", w); })();' |
  /usr/bin/time -f '%e %M' -o "$OUT/mem-p99.time" node "$SLUICE" agg 'count, p99(v)' 2>"$OUT/mem-p99.err" >"$OUT/mem-p99.out"
read -r secs kb < <(tail -1 "$OUT/mem-p99.time")
report $((kb < P99_LIMIT_KB ? 0 : 1)) "5. agg p99(v) over 10,000,000 values in one group: peak RSS $(mb "$kb") MB (< 120), $secs s, result: $(cat "$OUT/mem-p99.out") (exact p99: 98999)"

echo "$((5 - fails)) passed, $fails failed"
exit $((fails > 0 ? 1 : 0))
