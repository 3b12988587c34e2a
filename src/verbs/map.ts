/** Placeholder until the verb is built: it refuses to run. */
import type { VerbDef } from '../engine/types.js';
import { UsageError } from '../engine/errors.js';

export const map: VerbDef = {
  name: 'map',
  summary: '(not built yet)',
  usage: 'sluice map: not built yet',
  parse() {
    throw new UsageError('map: not built yet');
  },
};
