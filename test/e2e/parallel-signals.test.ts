/**
 * SIGINT / SIGTERM under `-j 2` on endless input (SPEC §5): the input ends
 * where it is, what was read is finished and written (an agg writes its
 * result), and the process exits 130 / 143. Before, the split run did not
 * listen: a signal was kept for a runner that never came, and sluice ran on.
 * Signals are sent once the process has shown it is running (its first
 * output, or its stderr trace); the deadline to exit is generous.
 */
import { describe, expect, it } from 'vitest';
import { start } from '../helpers/run.js';

/** Keep feeding `line` to the child's stdin until it closes. */
function feedForever(child: ReturnType<typeof start>['child'], line: string): void {
  const chunk = line.repeat(4096);
  const pump = (): void => {
    while (child.stdin.writable && child.stdin.write(chunk));
    if (child.stdin.writable) child.stdin.once('drain', pump);
  };
  child.stdin.on('error', () => {});
  pump();
}

describe('-j 2 on endless stdin stops on a signal', () => {
  it('filter: SIGTERM ends the run with status 143', async () => {
    const p = start(['-j', '2', 'filter', 'a > 0']);
    feedForever(p.child, '{"a":1}\n');
    await p.waitFor('{"a":1}', 30_000);
    p.child.kill('SIGTERM');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
    const { code, signal } = await p.exited;
    clearTimeout(timer);
    expect(signal).toBeNull();
    expect(code).toBe(143);
    expect(p.stderr).toBe('');
  }, 70_000);

  it('agg count: SIGINT writes the count of what was read and exits 130', async () => {
    const p = start(['-j', '2', 'agg', 'count']);
    feedForever(p.child, '{"a":1}\n');
    // Ready once some input has gone in: wait until the child has taken 1 MB.
    await new Promise<void>((resolve) => {
      let n = 0;
      const orig = p.child.stdin.write.bind(p.child.stdin);
      p.child.stdin.write = ((c: string) => {
        n += c.length;
        if (n > 1_000_000) resolve();
        return orig(c);
      }) as typeof p.child.stdin.write;
    });
    p.child.kill('SIGINT');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
    const { code, signal } = await p.exited;
    clearTimeout(timer);
    expect(signal).toBeNull();
    expect(code).toBe(130);
    const out = JSON.parse(p.stdout) as { count: number };
    expect(out.count).toBeGreaterThan(0);
  }, 70_000);
});
