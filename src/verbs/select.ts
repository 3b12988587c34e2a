/** Placeholder until the verb is built: it refuses to run. */
import type { VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';

export const select: VerbDef = {
  name: 'select',
  summary: '(not built yet)',
  usage: 'sluice select: not built yet',
  parse() {
    throw new UsageError('select: not built yet');
  },
};
