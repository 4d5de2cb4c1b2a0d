import { runCommand, type Globals } from '../context.js';
import { writeDirectly } from '../output.js';
import { runSynth } from './synth.js';

/** The switch of aws-cdk-lib's code cache (src/infra/compile-cache.ts), for the build's warm-up run (scripts/code-cache.mjs), which writes none. */
export { COMPILE_CACHE_SWITCH } from '../../src/infra/compile-cache.js';
/** The dashboard's synthesis, run here in its worker thread (bin/front.ts: runSynthWorker). */
export { answerSynthWorker } from '../../src/infra/synth-worker.js';
/** The synth helper's switch, for the build's warm-up run, which starts none; and its process, run here (bin/front.ts: runSynthHelper). */
export { SYNTH_HELPER_SWITCH } from '../../src/infra/synth-helper.js';
export { runHelperProcess } from '../../src/infra/synth-helper-process.js';

// The entry of dist/synth.cjs: `synth` as the front's route read it (bin/route.ts FRONT_BUNDLES),
// run in CommonJS with its code cache (bin/front.ts: loadBundle), aws-cdk-lib from node_modules
// through the code cache of src/infra/compile-cache.ts. The same runSynth as the ESM bundle's,
// which runs a line the front's parser read. No Ink, no commander, no AWS SDK (scripts/build.mjs
// refuses them): synth is offline. The dashboard's synth worker runs this bundle too.

/**
 * synth as the route read it, without commander: `options` holds `--out`, `globals` what
 * commander would give (optsWithGlobals). Run here whole, errors included.
 */
export function runFrontCommand(command: string, options: Readonly<Record<string, unknown>>, globals: Globals): Promise<void> {
  // The route sends only synth here: anything else is a bug, not a command to guess.
  if (command !== 'synth') throw new Error(`the front's synth bundle has no command named ${JSON.stringify(command)}`);
  const out = options.out;
  if (out !== undefined && typeof out !== 'string') throw new Error(`the route gave synth an --out that is not a string: ${typeof out}`);
  writeDirectly();
  return runCommand(() => runSynth({ ...(out !== undefined ? { out } : {}) }, globals), () => globals);
}
