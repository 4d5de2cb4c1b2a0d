import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { StackProfiles } from '../config/pairing.js';
import { ENVIRONMENTS, type EnvironmentName } from '../config/schema.js';
import { UserError } from '../errors.js';
import { displayLine } from '../display-text.js';
import { randomHex } from '../random-hex.js';
import { isAlive } from '../config/lock.js';
import { assemblyAssets, readManifest } from './assembly.js';
import { WebhookStack } from './webhook-stack.js';
import { INLINE_TEMPLATE_LIMIT } from '../config/names.js';
import { InlineOrUploadedSynthesizer } from './template-synthesizer.js';
import type { KeptIds } from './upgrade.js';

export { assemblyAssets, assemblyHasAssets } from './assembly.js';
export { inlineTemplateSize } from './template-synthesizer.js';

export interface SynthesisOptions {
  /**
   * Run aws-cdk-lib's built-in CloudFormation schema validation (about a
   * second). Its findings are warnings written to the assembly's validation
   * report; they never fail synthesis.
   *
   * @default false
   */
  readonly validate?: boolean;
  /**
   * Deployed logical ids the stack takes over (upgrade.ts `keptIdsOf`, from
   * the deployed template): an input like the profiles, so the same inputs
   * always give the same template.
   *
   * @default - none: a fresh stack's ids
   */
  readonly keep?: KeptIds;
}

export interface SynthesisResult {
  /** The cloud assembly folder: what `cdk deploy --app <assemblyDir>` takes. */
  readonly assemblyDir: string;
  /** The stack's artifact id in the assembly (also its CloudFormation name). */
  readonly stackName: string;
  readonly templatePath: string;
  readonly template: Record<string, any>;
  /** Environments the template holds, prod first. */
  readonly environments: readonly EnvironmentName[];
  /** Assets a deploy would upload besides the template itself; empty means none. */
  readonly assets: readonly string[];
  /** `assets.length > 0`. */
  readonly hasAssets: boolean;
  /** The size of the template as cdk sends it inline (YAML, in characters). */
  readonly templateBodySize: number;
  /**
   * Whether deploying needs `cdk bootstrap`: assets to upload, or a template
   * too large to send inline ({@link INLINE_TEMPLATE_LIMIT}), which the
   * assembly then holds as an asset that cdk publishes to the bootstrap bucket.
   */
  readonly bootstrapRequired: boolean;
}

/**
 * Synthesizes the stack for `profiles` into `outDir`, in this process and
 * with no AWS access at all (no lookups, no credentials). A fresh App every
 * call, so two calls never share state. The folder is replaced only once the
 * new assembly is complete: a failed synth leaves it as it was. A folder that
 * holds anything but a cloud assembly is refused rather than overwritten.
 */
export function synthesizeStack(profiles: StackProfiles, outDir: string, options: SynthesisOptions = {}): SynthesisResult {
  const target = resolve(outDir);
  checkOutDir(target);
  mkdirSync(dirname(target), { recursive: true });
  removeDeadStaging(target);
  // Beside the target, so the final rename stays on one file system.
  const staging = join(dirname(target), `${stagingPrefix(target)}${process.pid}-${randomHex(4)}`);
  mkdirSync(staging);
  try {
    const app = new App({
      outdir: staging,
      analyticsReporting: false,
      treeMetadata: false,
      stackTraces: false,
      builtinCloudFormationValidation: options.validate ?? false,
      context: {
        'aws:cdk:enable-path-metadata': false,
        'aws:cdk:disable-stack-trace': true,
        // No call stack captured for each construct made (parsed from an Error's text, about 70 ms of synth).
        // Those traces went only to the assembly's metadata file, never to the template.
        'aws:cdk:disable-creation-stack-traces': true,
        'aws:cdk:version-reporting': false,
      },
    });
    const stack = new WebhookStack(app, profiles.place.stackName, { profiles, ...(options.keep ? { keep: options.keep } : {}) });
    const assembly = app.synth();
    const artifact = assembly.getStackArtifact(stack.artifactId);
    const templateFile = basename(artifact.templateFullPath);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    const templatePath = join(target, templateFile);
    const assets = assemblyAssets(target);
    // Parsed once, by the synthesizer that measured it: the same bytes as the file at templatePath.
    const synthesizer = stack.synthesizer as InlineOrUploadedSynthesizer;
    const template = synthesizer.template ?? (JSON.parse(readFileSync(templatePath, 'utf8')) as Record<string, any>);
    const templateBodySize = synthesizer.bodySize;
    return {
      assemblyDir: target,
      stackName: stack.stackName,
      templatePath,
      template,
      environments: ENVIRONMENTS.filter((e) => stack.environments.has(e)).sort((a, b) => (a === 'prod' ? -1 : b === 'prod' ? 1 : 0)),
      assets,
      hasAssets: assets.length > 0,
      templateBodySize,
      bootstrapRequired: assets.length > 0 || templateBodySize > INLINE_TEMPLATE_LIMIT,
    };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/** The name of a synth's staging folder for `target`, before its process id and a random part: `.out.synth-`. */
function stagingPrefix(target: string): string {
  return `.${basename(target)}.synth-`;
}

/** A staging folder this old is no synth's at work: a synth writes and renames its folder within seconds. */
const STAGING_STALE_MS = 10 * 60_000;

/**
 * Staging folders of this target that a synth ended before it could remove (ctrl-c, a kill) are removed: those of
 * processes no longer running on this machine, not changed for {@link STAGING_STALE_MS} (a synth on another host
 * sharing the folder has a process id that means nothing here). A synth running now keeps its own.
 */
function removeDeadStaging(target: string): void {
  const prefix = stagingPrefix(target);
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) ? Number(/^(\d+)-[0-9a-f]{8}$/.exec(name.slice(prefix.length))?.[1]) : NaN;
    if (!Number.isSafeInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    try {
      if (Date.now() - statSync(join(dirname(target), name)).mtimeMs < STAGING_STALE_MS) continue;
      rmSync(join(dirname(target), name), { recursive: true, force: true });
    } catch {
      // Not ours to remove after all, or gone meanwhile: the synth goes on.
    }
  }
}

/**
 * What a synth writes into its folder (aws-cdk-lib's cloud assembly), and what may come to stand beside it that is no
 * one's work: a file manager's `.DS_Store`, and the lock files cdk leaves when it is killed while reading the folder
 * (`--app DIR`). Anything else there is someone's, not an earlier synth's.
 */
const ASSEMBLY_ENTRY = /^(manifest\.json|cdk\.out|tree\.json|.+\.(template|assets|metadata)\.json|asset\..+|\.DS_Store)$/;
/** cdk's lock of an assembly it reads: `read.<pid>.<n>.lock` (and `synth.lock` while one synthesizes). */
const CDK_LOCK = /^read\.(\d+)\.\d+\.lock$|^synth\.lock$/;

/** Whether the folder's manifest is a cloud assembly's: a version and its artifacts (read as assembly.ts reads it, within its bound). */
function isAssemblyManifest(dir: string): boolean {
  try {
    const manifest = readManifest(dir) as Record<string, unknown> | null;
    return typeof manifest?.version === 'string' && typeof manifest.artifacts === 'object' && manifest.artifacts !== null && !Array.isArray(manifest.artifacts);
  } catch {
    return false;
  }
}

/**
 * The folder the assembly replaces must be new, empty, or an earlier synth's: a cloud assembly
 * (its manifest read as one) holding nothing a synth does not write. Anything else would be
 * deleted with it, so it is refused, the folder left as it is.
 */
function checkOutDir(target: string): void {
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new UserError(`--out: ${target} is a file, not a folder`, 'name a new or empty folder');
  const entries = readdirSync(target);
  if (entries.length === 0) return;
  if (!entries.includes('manifest.json') || !isAssemblyManifest(target)) {
    throw new UserError(`--out: ${target} is not empty and holds no cloud assembly; it would be overwritten`, 'name a new or empty folder, or a folder an earlier synth wrote');
  }
  // A cdk still reading the folder would lose it from under it: said as such. A lock whose process is gone is left over.
  const reading = entries.map((e) => Number(CDK_LOCK.exec(e)?.[1])).filter((pid) => Number.isSafeInteger(pid) && pid > 0 && isAlive(pid));
  if (reading.length > 0) {
    throw new UserError(`--out: ${target} is being read by cdk (process ${reading[0]}); replacing it now would pull it from under that deploy`, 'wait for that cdk to end, or name another folder');
  }
  const foreign = entries.filter((e) => !ASSEMBLY_ENTRY.test(e) && !CDK_LOCK.test(e)).sort();
  if (foreign.length > 0) {
    const named = foreign.slice(0, 3).map((e) => displayLine(e, 80)).join(', ');
    throw new UserError(
      `--out: ${target} holds a cloud assembly and ${foreign.length === 1 ? 'a file' : `${foreign.length} files`} a synth does not write (${named}${foreign.length > 3 ? ', …' : ''}); replacing the folder would delete ${foreign.length === 1 ? 'it' : 'them'}`,
      'move them out of the folder, or name a new or empty folder',
    );
  }
}
