#!/usr/bin/env bash
# agg --every under backpressure (issue 10 item 13): snapshots are skipped
# while the output is blocked and written a batch at a time, so a slow reader
# never makes sluice queue snapshot after snapshot in memory.
#
#   bash bench/snapshot-memory.sh             (NGROUPS=1000000 by default)
#   NGROUPS=200000 bash bench/snapshot-memory.sh
#   SLUICE=/path/to/other/bin/sluice.js bash bench/snapshot-memory.sh
#
# Input: NGROUPS distinct keys `{"k":i,"v":i}`, made on the fly. Output goes to a
# slow reader (64 KiB every 10 ms, about 6 MB/s). Three runs, each with its
# peak RSS (GNU time %M), wall time, output lines and snapshots seen:
#   1. agg 'count, sum(v)' by k                  (no snapshots: the baseline)
#   2. the same with --every 100ms
#   3. the same with --every 10ms
# Pass when runs 2 and 3 stay below 2 x the baseline's peak RSS + 100 MB.
set -u
cd "$(dirname "$0")/.."
N=${NGROUPS:-1000000}
SLUICE=${SLUICE:-bin/sluice.js}
OUT=bench/out
mkdir -p "$OUT"
gen() { node -e "
  const n = $N; let i = 0; const out = process.stdout;
  (function more() { let s = ''; while (i < n && s.length < 65536) { s += '{\"k\":' + i + ',\"v\":' + i + '}\n'; i++; }
    if (s) { if (out.write(s)) setImmediate(more); else out.once('drain', more); } })();"; }
slow() { node -e "
  let bytes = 0, lines = 0, snaps = new Set();
  process.stdin.on('data', (d) => { bytes += d.length; for (let j = d.indexOf(10); j >= 0; j = d.indexOf(10, j + 1)) lines++;
    const t = d.toString('latin1').match(/\"snapshot\":\"[^\"]+\"/g); if (t) for (const x of t) snaps.add(x);
    process.stdin.pause(); setTimeout(() => process.stdin.resume(), 10); });
  process.stdin.on('end', () => console.log(lines + ' ' + bytes + ' ' + snaps.size));"; }
run() { # run NAME ARGS...
  local name=$1; shift
  local t0=$(date +%s.%N)
  gen | /usr/bin/time -f '%e %M' -o "$OUT/snap-$name.time" node "$SLUICE" "$@" 2>"$OUT/snap-$name.err" | slow >"$OUT/snap-$name.out"
  read -r secs kb < <(tail -1 "$OUT/snap-$name.time")
  read -r lines bytes snaps < "$OUT/snap-$name.out"
  echo "$name: peak RSS $((kb * 1024 / 1000000)) MB, ${secs} s, $lines lines ($((bytes / 1000000)) MB) out, $snaps distinct snapshot times"
  eval "kb_$name=$kb"
}
echo "agg --every with $N groups and a slow reader; node $(node --version), $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
run base agg 'count, sum(v)' by k
run every100 agg 'count, sum(v)' by k --every 100ms
run every10 agg 'count, sum(v)' by k --every 10ms
limit=$((kb_base * 2 + 100000000 / 1024))
fails=0
for r in every100 every10; do
  v=$(eval echo \$kb_$r)
  if [ "$v" -lt "$limit" ]; then echo "PASS  $r peak RSS $((v * 1024 / 1000000)) MB < $((limit * 1024 / 1000000)) MB"; else echo "MISS  $r peak RSS $((v * 1024 / 1000000)) MB >= $((limit * 1024 / 1000000)) MB"; fails=$((fails + 1)); fi
done
exit $((fails > 0))
