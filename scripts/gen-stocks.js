#!/usr/bin/env node
/**
 * Writes test/fixtures/stocks.csv: synthetic daily closing prices
 * (symbol,date,price) for five symbols over the trading days (Monday to
 * Friday, without US market holidays) of 2024, sorted by symbol then date.
 * Each series is a deterministic geometric random walk (mulberry32, seed
 * fixed; daily log-return drawn from a normal with the symbol's drift and
 * volatility) starting at the symbol's real closing price of 2 January 2024,
 * rounded to cents. Synthetic, not market data: for tests and examples.
 * Usage: node scripts/gen-stocks.js > test/fixtures/stocks.csv
 */
function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(20240102);
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const HOLIDAYS = new Set(['2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-11-28', '2024-12-25']);
const days = [];
for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 86400000) {
  const d = new Date(t);
  const iso = d.toISOString().slice(0, 10);
  if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6 && !HOLIDAYS.has(iso)) days.push(iso);
}
const SYMBOLS = [
  ['AAPL', 185.64, 0.0004, 0.014],
  ['AMZN', 149.93, 0.0012, 0.019],
  ['GOOG', 139.56, 0.0011, 0.018],
  ['IBM', 161.5, 0.0013, 0.012],
  ['MSFT', 370.87, 0.0005, 0.013],
];
let out = 'symbol,date,price\n';
for (const [sym, p0, mu, sigma] of SYMBOLS) {
  let p = p0;
  for (let i = 0; i < days.length; i++) {
    if (i > 0) p *= Math.exp(mu - (sigma * sigma) / 2 + sigma * normal());
    out += `${sym},${days[i]},${p.toFixed(2)}\n`;
  }
}
process.stdout.write(out);
