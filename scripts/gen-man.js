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

/**
 * Usage texts are written for an 80-column terminal; in the man page they
 * stand indented, so that at MANWIDTH=80 no line may be longer than
 * `width`. Lines that are longer are wrapped, the others kept as written:
 * - a prose line is re-filled with the lines of its paragraph (the lines
 *   that follow at the same indent), so that no word is left alone;
 * - an option or two-column line (`  --on KEY   the key ...`) continues
 *   under its description column;
 * - an example command (`$ sluice ...`) is split before a word with ` \`
 *   and continues four columns in, as a shell reads it.
 * @param {string} text a usage text
 * @param {number} width the longest line allowed
 * @returns {string}
 */
export function fitUsage(text, width) {
  const lines = text.split('\n');
  const out = [];
  const indentOf = (l) => /^ */.exec(l)[0].length;
  const twoColumn = (l) => /^ *\S.*?\S {2,}\S/.exec(l);
  const isCommand = (l) => /^ *\$ /.test(l);
  /** Break `words` (after `first`) into lines of at most width, each after `indent` spaces. */
  const fill = (first, rest, words, suffix = '') => {
    let cur = first;
    let fresh = true;
    for (const w of words) {
      if (!fresh && cur.length + 1 + w.length + suffix.length > width) {
        out.push(cur + suffix);
        cur = rest + w;
      } else cur += (fresh ? '' : ' ') + w;
      fresh = false;
    }
    out.push(cur);
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length <= width) {
      out.push(l);
      continue;
    }
    const ind = indentOf(l);
    if (isCommand(l)) {
      const m = /^( *\$ )(.*)$/.exec(l);
      // Words as the shell splits them: never inside quotes, where ` \` would be literal.
      const words = m[2].match(/(?:'[^']*'|"(?:[^"\\]|\\.)*"|[^ '"])+/g) ?? [m[2]];
      fill(m[1], ' '.repeat(ind + 4), words, ' \\');
      continue;
    }
    if (/^Usage: /.test(l)) {
      // A synopsis: break between bracketed groups, continue under the verb's arguments.
      const tokens = l.match(/(?:\[[^\]]*\]|[^ [])+/g) ?? [l];
      const at = l.indexOf(tokens[3] ?? tokens[tokens.length - 1]);
      fill('', ' '.repeat(at), tokens);
      continue;
    }
    const col = twoColumn(l);
    if (col) {
      // An option's description: continue under its column; the words that do
      // not fit join the next line when it continues the same description
      // (not when it starts a new item, `semi: ...`).
      const at = col[0].length - 1;
      const words = l.slice(at).split(' ');
      while (i + 1 < lines.length && indentOf(lines[i + 1]) === at && !/^\S+:( |$)/.test(lines[i + 1].trim())) {
        words.push(...lines[++i].trim().split(/ +/));
      }
      fill(l.slice(0, at), ' '.repeat(at), words);
      continue;
    }
    // Prose: re-fill this line with the following lines of its paragraph.
    // A word too long for a line (a JSON record of an example) is split after
    // its commas (JSON allows the blank that the split leaves).
    const room = width - ind;
    const words = l
      .trim()
      .split(/ +/)
      .flatMap((w) => (w.length <= room ? [w] : w.split(/(?<=,)/)));
    const item = /^\S+:( |$)/;
    while (i + 1 < lines.length && lines[i + 1].trim() !== '' && indentOf(lines[i + 1]) === ind && !twoColumn(lines[i + 1]) && !isCommand(lines[i + 1]) && !item.test(lines[i + 1].trim())) {
      words.push(...lines[++i].trim().split(/ +/));
    }
    fill(' '.repeat(ind), ' '.repeat(ind), words);
  }
  return out.join('\n');
}

/** Longest usage line in the man page: 80 columns less its indent (7) and one of slack. */
const USAGE_WIDTH = 72;

/** The whole man page text. */
export async function renderMan() {
  const { VERBS } = await import(path.join(root, 'dist/verbs/index.js'));
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const template = fs.readFileSync(path.join(root, 'man/sluice.1.in'), 'utf8');
  const verbs = VERBS.map(
    (v) => `.SS ${v.name}\n${v.summary.replace(/\\/g, '\\e').replace(/^[.']/, '\\&$&')}\n.PP\n.nf\n${roffLiteral(fitUsage(v.usage.trimEnd(), USAGE_WIDTH))}\n.fi\n`,
  ).join('');
  return template.replace('@VERSION@', () => pkg.version).replace('@VERBS@\n', () => verbs);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = await renderMan();
  fs.writeFileSync(path.join(root, 'man/sluice.1'), text);
  process.stdout.write(`wrote man/sluice.1 (${text.split('\n').length} lines)\n`);
}
