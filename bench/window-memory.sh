#!/bin/bash
# Window memory and fan-out checks (issue 10 items 17, 18):
#   bash bench/window-memory.sh [--keys KEYS]     (default 1,500,000; --keys 20000 to check the script)
# Exit status: the number of checks missed.
#   SLUICE=/path/to/other/bin/sluice.js bash bench/window-memory.sh
# 1. Item 18: `window count 2 --by k then agg count by k` over KEYS distinct
#    keys (two records each, so every window closes), and the same alone.
#    A key is forgotten when its last window closes, so memory is flat. The
#    bound: the run over KEYS keys must finish with the V8 heap limited to
#    32 MB (--max-old-space-size=32); the old per-key counter (~150-200 B a
#    key) needed ~300 MB at 1.5M keys and aborted. Peak RSS (GNU time) over
#    KEYS/10 and KEYS keys with the default heap is shown too (it includes
#    garbage not yet collected, so it grows somewhat with the input).
# 2. Item 17: `window count 1000000 --every 1 then agg` over 20,000 records
#    (every record opens a window, none closes before the end): panes shared,
#    so time is linear. PASS when under 10 s (it was quadratic: 1000 windows a
#    record took 16.6 s under load, 1,000,000 was refused).
# 3. `window count 1000000 --every 1` alone and `window sliding 1d --every 1ms`:
#    refused at once (exit 2).
set -u
cd "$(dirname "$0")/.."
KEYS=1500000
if [ "${1:-}" = "--keys" ]; then KEYS=$2; fi
SLUICE=${SLUICE:-bin/sluice.js}
S="node $SLUICE"
fails=0
gen() { node -e "const n=+process.argv[1];let s='';for(let i=0;i<n;i++){s+='{\"k\":\"user'+i+'\"}\n{\"k\":\"user'+i+'\"}\n';if(s.length>1<<20){process.stdout.write(s);s=''}}process.stdout.write(s)" "$1"; }
rss() { # rss KEYS ARGS... -> sets KB to the peak RSS (KB), prints the figures
  local keys=$1; shift
  local f; f=$(mktemp)
  local rows; rows=$(gen "$keys" | /usr/bin/time -f "%M %e" -o "$f" $S "$@" | wc -l)
  local secs; read -r KB secs < "$f"; rm -f "$f"
  echo "   $keys keys: peak RSS $((KB / 1024)) MB, $secs s, $rows output rows"
}
echo "window memory; node $(node --version), $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC')"
for mode in agg alone; do
  if [ $mode = agg ]; then args=(window count 2 --by k then agg count by k); want=$KEYS; else args=(window count 2 --by k); want=$((KEYS * 2)); fi
  echo "1. ${args[*]}:"
  rss $((KEYS / 10)) "${args[@]}"
  rss "$KEYS" "${args[@]}"
  rows=$(gen "$KEYS" | node --max-old-space-size=32 $SLUICE "${args[@]}" 2>/dev/null | wc -l)
  if [ "$rows" = "$want" ]; then echo "PASS  $KEYS keys with a 32 MB heap"
  else echo "MISS  $KEYS keys with a 32 MB heap: $rows of $want rows"; fails=$((fails + 1)); fi
done
echo "2. window count 1000000 --every 1 then agg 'count, sum(v)', 20000 records:"
f=$(mktemp)
rows=$(node -e "let s='';for(let i=0;i<20000;i++)s+='{\"v\":'+i+'}\n';process.stdout.write(s)" \
  | /usr/bin/time -f "%e %M" -o "$f" $S window count 1000000 --every 1 then agg 'count, sum(v)' 2>/dev/null | wc -l)
read -r secs kb < <(tail -1 "$f"); rm -f "$f"
echo "   $secs s, peak RSS $((kb / 1024)) MB, $rows output rows"
if [ "$rows" = 20000 ] && awk "BEGIN{exit !($secs < 10)}"; then echo "PASS  linear"; else echo "MISS"; fails=$((fails + 1)); fi
echo "3. refused at once:"
for a in "window count 1000000 --every 1" "window sliding 1d --every 1ms"; do
  echo '{"t":1}' | $S $a >/dev/null 2>&1; c=$?
  if [ $c = 2 ]; then echo "PASS  $a: exit 2"; else echo "MISS  $a: exit $c"; fails=$((fails + 1)); fi
done
exit $fails
