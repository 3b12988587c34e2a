/** Placeholder until the verb is built: it refuses to run. */
import type { VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';

export const filter: VerbDef = {
  name: 'filter',
  summary: '(not built yet)',
  usage: 'sluice filter: not built yet',
  parse() {
    throw new UsageError('filter: not built yet');
  },
};
