#!/bin/bash
# Window memory and fan-out checks (issue 10 items 17, 18):
#   bash bench/window-memory.sh [KEYS]       (default 1,500,000)
# 1. `window count 2 --by k then agg count by k` over KEYS distinct keys, two
#    records each: peak RSS (GNU time) — state freed as windows close.
# 2. `window count 1000 --every 1 then agg count` over 20,000 records (1000
#    windows per record): time and peak RSS.
# 3. `window sliding 1d --every 1ms`: refused at once (exit 2).
set -u
cd "$(dirname "$0")/.."
KEYS=${1:-1500000}
S="node bin/sluice.js"
echo "1. count 2 --by k, $KEYS keys x 2 records:"
node -e "const n=+process.argv[1];let s='';for(let i=0;i<n;i++){s+='{\"k\":\"user'+i+'\"}\n{\"k\":\"user'+i+'\"}\n';if(s.length>1<<20){process.stdout.write(s);s=''}}process.stdout.write(s)" "$KEYS" \
  | /usr/bin/time -f "   %e s, peak RSS %M KB" $S window count 2 --by k then agg count by k | wc -l | sed 's/^/   output rows: /'
echo "2. count 1000 --every 1, 20000 records:"
node -e "let s='';for(let i=0;i<20000;i++)s+='{\"v\":'+i+'}\n';process.stdout.write(s)" \
  | /usr/bin/time -f "   %e s, peak RSS %M KB" $S window count 1000 --every 1 then agg 'count, sum(v)' | wc -l | sed 's/^/   output rows: /'
echo "3. sliding 1d --every 1ms:"
echo '{"t":1}' | /usr/bin/time -f "   %e s" $S window sliding 1d --every 1ms; echo "   exit $?"
