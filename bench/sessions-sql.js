/**
 * The gaps-and-islands reference for `window session GAP --by origin --time
 * time then agg 'count, max(delay)' by origin` (issue 10 item 1), in DuckDB
 * SQL: per origin, in time order (ties by arrival), an event more than GAP
 * after the previous one starts a new session; a session spans
 * [first time, last time + GAP). Rows come in sluice's order: window end,
 * then start, then first appearance (the session's first record in the file).
 *
 * Shared by test/e2e/window-duckdb.test.ts and bench/sessions-duckdb.js.
 * @param {string} table a table with columns rn (arrival), t (TIMESTAMP), origin, delay
 * @param {number} gapMinutes the gap
 */
export function sessionsSql(table, gapMinutes) {
  return `
WITH marked AS (
  SELECT rn, t, origin, delay,
    CASE WHEN t - lag(t) OVER (PARTITION BY origin ORDER BY t, rn) <= INTERVAL ${gapMinutes} MINUTE THEN 0 ELSE 1 END AS brk
  FROM ${table}
), numbered AS (
  SELECT *, sum(brk) OVER (PARTITION BY origin ORDER BY t, rn ROWS UNBOUNDED PRECEDING) AS sid FROM marked
)
SELECT strftime(min(t), '%Y-%m-%dT%H:%M:%S.000Z') AS window_start,
       strftime(max(t) + INTERVAL ${gapMinutes} MINUTE, '%Y-%m-%dT%H:%M:%S.000Z') AS window_end,
       origin, count(*) AS count, max(delay) AS max_delay
FROM numbered
GROUP BY origin, sid
ORDER BY max(t), min(t), min(rn)`;
}
