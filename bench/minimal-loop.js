#!/usr/bin/env node
/**
 * The minimal Node loop: the floor a Node record processor can hope to reach,
 * used as a peer in the benchmark.
 *
 *   node bench/minimal-loop.js            NDJSON: JSON.parse + JSON.stringify every line
 *   node bench/minimal-loop.js --filter   NDJSON: the same, keeping records with delay > 60
 *   node bench/minimal-loop.js --csv      CSV: split lines and commas, join them back
 *
 * Reads stdin chunk by chunk (utf8), splits lines carrying the unfinished tail
 * to the next chunk, and makes one process.stdout.write per chunk; when write()
 * returns false it pauses stdin until 'drain' (backpressure).
 * No quoting, no typing, no error handling: it is a yardstick, not a tool.
 */
const mode = process.argv[2] ?? '';
const filter = mode === '--filter';
const csv = mode === '--csv';
let tail = '';

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  const lines = (tail + chunk).split('\n');
  tail = lines.pop();
  const out = csv ? csvLines(lines) : jsonLines(lines);
  if (out.length && !process.stdout.write(out)) {
    process.stdin.pause();
    process.stdout.once('drain', () => process.stdin.resume());
  }
});
process.stdin.on('end', () => {
  if (tail) process.stdout.write(csv ? csvLines([tail]) : jsonLines([tail]));
});

function jsonLines(lines) {
  let out = '';
  for (const line of lines) {
    if (!line) continue;
    const r = JSON.parse(line);
    if (filter && !(r.delay > 60)) continue;
    out += JSON.stringify(r) + '\n';
  }
  return out;
}

function csvLines(lines) {
  let out = '';
  for (const line of lines) {
    if (!line) continue;
    out += line.split(',').join(',') + '\n';
  }
  return out;
}
