import { runCommand, type Globals } from '../context.js';
import { writeDirectly } from '../output.js';
import { runStatus } from './status.js';

// The entry of dist/status.cjs: `status` as the front's route read it (bin/route.ts FRONT_BUNDLES),
// run in CommonJS with its code cache (bin/front.ts: loadBundle), and the AWS SDK from
// dist/sdk.cjs. The same runStatus as the ESM bundle's, which runs a line the front's parser read.
// Keep this bundle's imports to the status command: no Ink, no commander (scripts/build.mjs refuses them).

/**
 * status as the route read it, without commander: `globals` is what commander would give
 * (optsWithGlobals). Run here whole, errors included.
 */
export function runFrontCommand(command: string, _options: Readonly<Record<string, unknown>>, globals: Globals): Promise<void> {
  // The route sends only status here: anything else is a bug, not a command to guess.
  if (command !== 'status') throw new Error(`the front's status bundle has no command named ${JSON.stringify(command)}`);
  // Like the front's other commands: straight to the descriptors, and a reader that went away
  // (`| head`) ends the output quietly (bin/output.ts); in the ESM bundle, bin/cli.ts sees to that.
  writeDirectly();
  return runCommand(() => runStatus(globals), () => globals);
}
