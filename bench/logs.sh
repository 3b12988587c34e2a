#!/usr/bin/env bash
# parse --pattern combined against its peers, in the same run (issue 13):
#   sluice -i lines parse --pattern combined            (NDJSON out, 11 typed fields)
#   jq -R 'capture(REGEX)'                               (the same regex, named groups; 9 text fields)
#   mawk -F'"' splitting each line into the same fields (TSV out)
# over N combined-format lines (test/fixtures/apache_logs repeated; default
# 1,000,000), each writing to /dev/null. Needs hyperfine, jq, mawk, GNU time.
# jq 1.6 takes about 0.5 ms a line here (10 minutes for a million), so it runs
# on JQ_LINES lines (default 100,000; JQ_LINES=1000000 for the full set) and
# its time is scaled to N lines in the summary (it is linear in the lines).
#
#   bash bench/logs.sh                 # 1,000,000 lines, 3 runs each
#   LINES=200000 RUNS=1 bash bench/logs.sh
#
# Then start-up: `node -e 0`, `sluice --version` and the same sluice command
# on one line (STARTUP_RUNS runs each, default 10; 0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${LINES:-1000000}
RUNS=${RUNS:-3}
DIR=${BENCH_DIR:-/tmp/sluice-bench-logs}
mkdir -p "$DIR"
JQ_LINES=${JQ_LINES:-100000}
make_data() {
  local lines=$1 out="$DIR/combined-$1.log"
  if [ ! -s "$out" ]; then
    local n reps
    n=$(wc -l < test/fixtures/apache_logs)
    reps=$(( (lines + n - 1) / n ))
    for _ in $(seq "$reps"); do cat test/fixtures/apache_logs; done | head -n "$lines" > "$out"
  fi
  echo "$out"
}
DATA=$(make_data "$LINES")
JQ_DATA=$(make_data "$JQ_LINES")
[ -f dist/verbs/parse.js ] || npm run build >/dev/null
SLUICE="node bin/sluice.js"

# The combined regex of src/parse/patterns.ts, with names for jq's capture.
RE='^(?<host>\S+) (?<ident>\S+) (?<user>\S+) \[(?<time>[^\]]+)\] "(?<request>[^"\\]*(?:\\.[^"\\]*)*)" (?<status>\d{3}|-) (?<bytes>\d+|-) "(?<referer>[^"\\]*(?:\\.[^"\\]*)*)" "(?<agent>[^"\\]*(?:\\.[^"\\]*)*)"$'
# ... as a jq string literal (backslashes and quotes escaped).
JQ_RE=$(printf '%s' "$RE" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
JQ_PROG="capture(\"$JQ_RE\")"
MAWK_PROG='BEGIN { OFS = "\t" } { split($1, a, " "); split($2, r, " "); split($3, s, " "); print a[1], a[2], a[3], substr(a[4], 2) " " substr(a[5], 1, 5), r[1], r[2], r[3], s[1], s[2], $4, $6 }'

echo "data: $DATA ($(wc -l < "$DATA") lines, $(du -m "$DATA" | cut -f1) MB)"
# the three agree on the number of parsed lines (the cut line: sluice and jq skip it)
echo "records: sluice $($SLUICE -i lines parse --pattern combined < "$DATA" 2>/dev/null | wc -l)," \
  "jq $(jq -cR "$JQ_PROG" < "$JQ_DATA" 2>/dev/null | wc -l) of $JQ_LINES," \
  "mawk $(mawk -F'"' "$MAWK_PROG" "$DATA" | wc -l)"
for cmd in "$SLUICE -i lines parse --pattern combined" ; do
  /usr/bin/time -f "sluice peak RSS %M KB" $cmd < "$DATA" > /dev/null 2> >(grep RSS >&2)
done
hyperfine -N --runs "$RUNS" --warmup 0 --export-json "$DIR/logs.json" --output=null \
  -n "sluice ($LINES lines)" "$SLUICE -i lines --from $DATA parse --pattern combined" \
  -n "mawk ($LINES lines)" "mawk -F\\\" '$MAWK_PROG' $DATA" \
  -n "jq ($JQ_LINES lines)" "jq -cR '$JQ_PROG' $JQ_DATA"
node -e '
  const r = require(process.argv[1]).results;
  const [s, m, j] = r.map((x) => x.mean);
  const jqScaled = j * (+process.argv[2] / +process.argv[3]);
  console.log(`sluice ${s.toFixed(2)} s, mawk ${m.toFixed(2)} s, jq ${j.toFixed(2)} s for ${process.argv[3]} lines = ${jqScaled.toFixed(1)} s for ${process.argv[2]}`);
  console.log(`sluice/mawk = ${(s / m).toFixed(2)} (target <= 2), jq/sluice = ${(jqScaled / s).toFixed(1)} (target >= 5)`);
  const cpu = (x) => x.user + x.system;
  console.log(`CPU (user + sys): sluice ${cpu(r[0]).toFixed(2)} s, mawk ${cpu(r[1]).toFixed(2)} s: sluice/mawk = ${(cpu(r[0]) / cpu(r[1])).toFixed(2)}`);
  console.log(`load average: ${require("os").loadavg().map((x) => x.toFixed(2)).join(" ")}`);
' "$DIR/logs.json" "$LINES" "$JQ_LINES"

# Start-up: what a run costs before its first record (module loading).
STARTUP_RUNS=${STARTUP_RUNS:-10}
if [ "$STARTUP_RUNS" -gt 0 ]; then
  head -n 1 "$DATA" > "$DIR/one.log"
  hyperfine -N --runs "$STARTUP_RUNS" --warmup 2 --export-json "$DIR/startup.json" --output=null \
    -n "node -e 0" "node -e 0" \
    -n "sluice --version" "$SLUICE --version" \
    -n "sluice parse, 1 line" "$SLUICE -i lines --from $DIR/one.log parse --pattern combined"
  node -e '
    for (const x of require(process.argv[1]).results)
      console.log(`${x.command.padEnd(22)} ${(x.mean * 1000).toFixed(0)} ms wall, ${((x.user + x.system) * 1000).toFixed(0)} ms CPU`);
  ' "$DIR/startup.json"
fi
