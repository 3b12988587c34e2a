/** Placeholder until the verb is built: it refuses to run. */
import type { VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';

export const head: VerbDef = {
  name: 'head',
  summary: '(not built yet)',
  usage: 'sluice head: not built yet',
  parse() {
    throw new UsageError('head: not built yet');
  },
};
