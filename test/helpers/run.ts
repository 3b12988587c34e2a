/**
 * Run bin/sluice.js as a user does: arguments, stdin, and we read stdout,
 * stderr and the exit status.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/sluice.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures');

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Run sluice synchronously with `input` on stdin. */
export function sluice(args: string[], input = '', env: NodeJS.ProcessEnv = {}): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', FORCE_COLOR: undefined, ...env },
    maxBuffer: 256 * 1024 * 1024,
    cwd: ROOT,
  });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status, signal: r.signal };
}

/** Run a shell pipeline (bash -c) from the project root; `sluice` in it is bin/sluice.js. */
export function shell(script: string, timeoutMs = 30_000): RunResult & { ms: number } {
  const t0 = Date.now();
  const r = spawnSync('bash', ['-c', `sluice() { "${process.execPath}" "${BIN}" "$@"; }; ${script}`], {
    encoding: 'utf8',
    cwd: ROOT,
    timeout: timeoutMs,
    env: { ...process.env, NO_COLOR: '' },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status, signal: r.signal, ms: Date.now() - t0 };
}

/** Start sluice as a child process for interactive tests (trickling input, signals). */
export function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const stamps: Array<{ at: number; text: string }> = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    stdout += d;
    stamps.push({ at: Date.now(), text: d });
  });
  child.stderr.on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    stamps,
    exited,
    /** Resolve once stdout contains `text` (or reject after `ms`). */
    waitFor(text: string | RegExp, ms = 5000): Promise<void> {
      return new Promise((resolve, reject) => {
        const t0 = Date.now();
        const tick = () => {
          if (typeof text === 'string' ? stdout.includes(text) : text.test(stdout)) return resolve();
          if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${text}; stdout so far: ${stdout.slice(-500)}; stderr: ${stderr}`));
          setTimeout(tick, 10);
        };
        tick();
      });
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
