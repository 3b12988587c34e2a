/**
 * The man page is generated from man/sluice.1.in and each verb's usage text:
 * the committed page must be what the generator makes now, cover every verb
 * and main option, and render without warnings.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run.js';
import { VERBS } from '../../src/verbs/index.js';

describe('man/sluice.1', () => {
  const page = fs.readFileSync(path.join(ROOT, 'man/sluice.1'), 'utf8');

  it('is up to date with the verbs\' usage texts (run `npm run man`)', async () => {
    // @ts-expect-error plain JS module without types
    const { renderMan } = await import('../../scripts/gen-man.js');
    expect(page).toBe(await renderMan());
  });

  it('has every verb, main option and exit status', () => {
    for (const v of VERBS) expect(page).toContain(`.SS ${v.name}\n`);
    for (const opt of ['input', 'output', 'csv', 'tsv', 'ndjson', 'delimiter', 'no\\-header', 'from', 'on\\-error', 'errors', 'max\\-line\\-bytes', 'color', 'explain', 'help', 'version']) {
      expect(page).toContain(`\\-\\-${opt}`);
    }
    for (const code of ['0', '1', '2']) expect(page).toMatch(new RegExp(`\\.B ${code}\\n`));
    expect(page).toContain('130');
    expect(page).toContain('143');
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.man).toContain('./man/sluice.1');
  });

  it('renders without groff warnings', () => {
    const probe = spawnSync('groff', ['--version'], { encoding: 'utf8' });
    if (probe.error) return; // groff not installed: nothing to check here
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', path.join(ROOT, 'man/sluice.1')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('man page at 80 columns', () => {
  it('renders with no line over 80 columns at MANWIDTH=80 (skipped without man)', () => {
    const probe = spawnSync('man', ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return; // man not installed
    const r = spawnSync('man', ['-l', path.join(ROOT, 'man/sluice.1')], {
      encoding: 'utf8',
      env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat', MAN_KEEP_FORMATTING: '' },
    });
    expect(r.status).toBe(0);
    // man writes overstrike for bold when not to a terminal in some setups: strip it.
    const text = r.stdout.replace(/.\x08/g, '').replace(/\x1b\[[0-9;]*m/g, '');
    const lines = text.split('\n');
    expect(lines.length).toBeGreaterThan(300);
    const long = lines.filter((l) => [...l].length > 80);
    expect(long).toEqual([]);
  });

  it("each verb's usage has no under-filled prose line (the orphaned 'A' of help window)", () => {
    const bad: string[] = [];
    for (const v of VERBS) {
      const lines = v.usage.split('\n');
      for (let i = 1; i + 1 < lines.length; i++) {
        const l = lines[i]!;
        const next = lines[i + 1]!;
        // Paragraph prose: starts at column 0, followed by more prose of the same paragraph.
        if (!/^[^\s$]/.test(l) || !/^[^\s$]/.test(next) || /[:.]$/.test(l)) continue;
        const firstWord = next.split(' ')[0]!;
        if (l.length + 1 + firstWord.length <= 60) bad.push(`help ${v.name}: '${l}' / '${next}'`);
      }
    }
    expect(bad).toEqual([]);
  });
});
