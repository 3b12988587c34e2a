/** Placeholder until the verb is built: it refuses to run. */
import type { VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';

export const agg: VerbDef = {
  name: 'agg',
  summary: '(not built yet)',
  usage: 'sluice agg: not built yet',
  parse() {
    throw new UsageError('agg: not built yet');
  },
};
