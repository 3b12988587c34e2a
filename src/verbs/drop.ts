/** Placeholder until the verb is built: it refuses to run. */
import type { VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';

export const drop: VerbDef = {
  name: 'drop',
  summary: '(not built yet)',
  usage: 'sluice drop: not built yet',
  parse() {
    throw new UsageError('drop: not built yet');
  },
};
