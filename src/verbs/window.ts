/** Placeholder until the verb is built: it refuses to run. */
import type { VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';

export const window: VerbDef = {
  name: 'window',
  summary: '(not built yet)',
  usage: 'sluice window: not built yet',
  parse() {
    throw new UsageError('window: not built yet');
  },
};
