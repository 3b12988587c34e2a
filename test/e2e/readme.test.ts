/**
 * The README says its examples run in test/fixtures/: every data file an
 * example names is there, and the window examples on sessions.ndjson and
 * bids.ndjson print what the README shows.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT } from '../helpers/run.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Each `$ sluice ...` example (continuation lines joined) with the lines shown after it. */
function examples(): Array<{ cmd: string; shown: string[] }> {
  const out: Array<{ cmd: string; shown: string[] }> = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = block[1]!.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.startsWith('$ ')) continue;
      let cmd = lines[i]!.slice(2);
      while (cmd.endsWith('\\') && i + 1 < lines.length) cmd = cmd.slice(0, -1) + ' ' + lines[++i]!.trim();
      const shown: string[] = [];
      while (i + 1 < lines.length && !lines[i + 1]!.startsWith('$ ') && lines[i + 1] !== '') shown.push(lines[++i]!);
      out.push({ cmd, shown });
    }
  }
  return out;
}

describe('README examples', () => {
  it('name only files that are in test/fixtures', () => {
    const missing: string[] = [];
    for (const { cmd } of examples()) {
      if (!/^(sluice|cat|head|printf|echo)\b/.test(cmd)) continue;
      for (const m of cmd.matchAll(/(?:--from |< ?)([\w.-]+\.(?:csv|ndjson|tsv|json))/g)) {
        if (!fs.existsSync(path.join(FIXTURES, m[1]!))) missing.push(`${m[1]} (in: ${cmd})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the session and late-data window examples print what the README shows', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-readme-'));
    try {
      for (const f of ['sessions.ndjson', 'bids.ndjson']) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
      const cases = examples().filter((e) => /sessions\.ndjson|bids\.ndjson/.test(e.cmd));
      expect(cases.length).toBeGreaterThanOrEqual(2);
      for (const { cmd, shown } of cases) {
        const r = spawnSync('bash', ['-c', `sluice() { "${process.execPath}" "${BIN}" "$@"; }; ${cmd}`], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
        expect(r.status, cmd).toBe(0);
        const got = (r.stdout + r.stderr).trimEnd().split('\n');
        expect(got, cmd).toEqual(shown);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README one-line sluice commands', () => {
  it('parse: each runs with --explain without a usage error (top 3 delay by origin was one: top takes --by)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-readme-lines-'));
    try {
      const cmds: string[] = [];
      for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
        for (const line of block[1]!.split('\n')) {
          const cmd = line.replace(/^\$ /, '');
          if (!/^sluice /.test(cmd) || /^sluice (checkpoint|merge|help)\b/.test(cmd)) continue;
          // Shell syntax outside quotes (pipes, redirections, variables, continuations) is left to the other tests.
          if (/[\\$|<>&#;]|\{#\}/.test(cmd.replace(/'[^']*'|"[^"]*"/g, ''))) continue;
          cmds.push(cmd);
          for (const m of cmd.matchAll(/([\w.-]+\.(?:csv|ndjson|tsv|json|log))\b/g)) fs.writeFileSync(path.join(dir, m[1]!), '');
        }
      }
      expect(cmds.length).toBeGreaterThan(10);
      const bad: string[] = [];
      for (const cmd of cmds) {
        const r = spawnSync('bash', ['-c', `sluice() { "${process.execPath}" "${BIN}" --explain "$@"; }; ${cmd}`], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
        if (r.status !== 0) bad.push(`${cmd}: ${r.stderr.trim()}`);
      }
      expect(bad).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
