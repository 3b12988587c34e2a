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
