import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { requirePackageBuckets, resolveStackProfiles } from '../../src/config/pairing.js';
import { inspectAllProfiles } from '../../src/config/store.js';
import { absolutePath } from '../../src/config/paths.js';
import { UserError } from '../../src/errors.js';
import { DEFAULT_SYNTH_OUT, INLINE_TEMPLATE_LIMIT } from '../../src/config/names.js';
import { action, configDirOf, globalsOf, print, printJson, warn, type Globals } from '../context.js';
import { helperPlace, startSynthHelper, synthByHelper, type SynthSummary } from '../../src/infra/synth-helper.js';

/** Whether standard error is a terminal (`isatty`: /dev/null, a character device too, is not one). */
function stderrIsTerminal(): boolean {
  return (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(2);
}

/** The folder of the bundles (dist/), where the synth helper's entry is: this module's own (import.meta.url is set in dist/synth.cjs too). */
function bundleFolder(): string {
  return fileURLToPath(new URL('.', import.meta.url));
}

export const synthAction = action((opts: { out?: string }, cmd: Command) => runSynth(opts, globalsOf(cmd)));

/**
 * `synth` with its options and the globals (optsWithGlobals): the ESM bundle's action, and
 * dist/synth.cjs's as the front's route read the line (bin/commands/synth-front.ts).
 */
export async function runSynth(opts: { out?: string }, g: Globals): Promise<number> {
  // An empty value (an unset variable in a script) would name the working folder, which the assembly replaces.
  if (opts.out !== undefined && opts.out.trim() === '') throw new UserError('--out: empty; it would name the working folder', 'name the folder for the cloud assembly, or leave --out out for ./cdk.out/benchling-deploy');
  const dir = configDirOf(g);
  const loaded = inspectAllProfiles(dir);
  if (loaded.length === 0) throw new UserError(`no profiles in ${dir}`, 'create the prod profile with `benchling-deploy setup-profile default`');
  const profiles = resolveStackProfiles(loaded, { region: g.region });
  for (const p of loaded) if (p.name === 'default' || p.name === 'dev') for (const w of p.warnings) warn(w);
  requirePackageBuckets(profiles, dir, 'synthesize the stack');
  const outDir = opts.out === undefined ? absolutePath(DEFAULT_SYNTH_OUT, `--out (left out: ${DEFAULT_SYNTH_OUT})`) : absolutePath(opts.out, '--out');
  // A helper that keeps aws-cdk-lib loaded makes a synth about a third as long (src/infra/synth-helper.ts); without one, here.
  const bundles = bundleFolder();
  const place = helperPlace(bundles);
  const byHelper = place ? await synthByHelper(place, { profiles, outDir }) : undefined;
  if (byHelper?.ok === false) throw byHelper.error;
  let result: SynthSummary;
  if (byHelper?.ok) result = byHelper.summary;
  else {
    // aws-cdk-lib takes most of a second to load: only this command pays for it.
    const { synthesizeStack } = await import('../../src/infra/synth.js');
    result = synthesizeStack(profiles, outDir);
  }
  if (g.json) {
    printJson({
      templatePath: result.templatePath,
      assemblyDir: result.assemblyDir,
      stackName: result.stackName,
      environments: result.environments,
      bootstrapRequired: result.bootstrapRequired,
      templateBodySize: result.templateBodySize,
    });
  } else {
    print(result.templatePath);
  }
  if (result.assets.length > 0) warn(`the template has assets (${result.assets.join(', ')}); deploying it needs \`cdk bootstrap\` in the target account and region`);
  else if (result.bootstrapRequired) {
    warn(`the template is ${Math.round(result.templateBodySize / 1024)} KiB, over the ${INLINE_TEMPLATE_LIMIT / 1024} KiB cdk sends inline; deploying it needs \`cdk bootstrap\` in the target account and region, once: cdk publishes the template to the bootstrap bucket with your credentials`);
  }
  // The next synth of this installation finds aws-cdk-lib loaded: started for a person at a terminal, not for cron or a script's pipe.
  if (place && !byHelper && stderrIsTerminal()) startSynthHelper(place, bundles);
  return 0;
}
