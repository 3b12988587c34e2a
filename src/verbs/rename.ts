/** Placeholder until the verb is built: it refuses to run. */
import type { VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';

export const rename: VerbDef = {
  name: 'rename',
  summary: '(not built yet)',
  usage: 'sluice rename: not built yet',
  parse() {
    throw new UsageError('rename: not built yet');
  },
};
