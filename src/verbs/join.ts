/** Placeholder until the verb is built: it refuses to run. */
import type { VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';

export const join: VerbDef = {
  name: 'join',
  summary: '(not built yet)',
  usage: 'sluice join: not built yet',
  parse() {
    throw new UsageError('join: not built yet');
  },
};
