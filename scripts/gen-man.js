#!/usr/bin/env node
/**
 * Generates man/sluice.1 from man/sluice.1.in and each verb's own usage text
 * (src/verbs/<verb>.ts, via dist/), so the man page, `sluice help VERB` and
 * the code cannot drift apart. Run with `npm run man`; a test checks that the
 * committed man page is up to date.
 *
 * In the template, the line `@VERBS@` is replaced by one subsection per verb.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Escape plain text for a roff no-fill block. */
export function roffLiteral(text) {
  return text
    .replace(/\\/g, '\\e')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? '\\&' + l : l).replace(/-/g, '\\-'))
    .join('\n');
}

/** The whole man page text. */
export async function renderMan() {
  const { VERBS } = await import(path.join(root, 'dist/verbs/index.js'));
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const template = fs.readFileSync(path.join(root, 'man/sluice.1.in'), 'utf8');
  const verbs = VERBS.map(
    (v) => `.SS ${v.name}\n${v.summary.replace(/\\/g, '\\e').replace(/^[.']/, '\\&$&')}\n.PP\n.nf\n.RS 2\n${roffLiteral(v.usage.trimEnd())}\n.RE\n.fi\n`,
  ).join('');
  return template.replace('@VERSION@', () => pkg.version).replace('@VERBS@\n', () => verbs);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = await renderMan();
  fs.writeFileSync(path.join(root, 'man/sluice.1'), text);
  process.stdout.write(`wrote man/sluice.1 (${text.split('\n').length} lines)\n`);
}
