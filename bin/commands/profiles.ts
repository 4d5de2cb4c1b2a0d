import type { Command } from 'commander';
import { UserError, UserErrors } from '../../src/errors.js';
import { checkProfileName, isFile, loadProfile, saveProfile, readJsonFile } from '../../src/config/store.js';
import { profilePath } from '../../src/config/paths.js';
import { isV06Profile, v06ProfileError } from '../../src/config/validate.js';
import { defaultEnvironmentFor, type ProfileFile } from '../../src/config/schema.js';
import { displayLine } from '../../src/display-text.js';
import { FARGATE_CPUS } from '../../src/config/task-size.js';
import { SETUP_FLAGS } from './setup-flags.js';
import { action, configDirOf, globalsOf, isInteractive, print } from '../context.js';

export { formatTable } from './profile-checks.js';


/** The range of each whole-number flag (a task's memory must also suit its CPU: the profile's own check). */
const NUMBER_RANGES: Readonly<Record<'minCapacity' | 'maxCapacity' | 'memory' | 'natGateways', readonly [number, number]>> = {
  minCapacity: [0, 1000],
  maxCapacity: [1, 1000],
  memory: [512, 30720],
  natGateways: [1, 2],
};

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export const setupProfileAction = action(async (name: string, opts: Record<string, unknown>, cmd: Command) => {
  const g = globalsOf(cmd);
  const dir = configDirOf(g);
  checkProfileName(name, 'setup-profile');
  const base = baseProfile(dir, name, opts.from as string | undefined);
  const changes = flagChanges(opts);
  if (opts.clientSecretStdin) changes.benchlingClientSecret = (await readStdin()).trim();
  const anyFlag = Object.keys(changes).length > 0 || opts.from !== undefined;
  if (!anyFlag || opts.interactive) {
    if (!isInteractive()) {
      // The global --region and --aws-profile are the command's AWS settings, not fields: say so when one was meant as one.
      const globals = [g.region !== undefined ? '--region (the profile\'s is --stack-region)' : '', g.awsProfile !== undefined ? '--aws-profile (the profile\'s is --profile-aws)' : ''].filter(Boolean);
      const note = globals.length > 0 ? `; ${globals.join(' and ')} ${globals.length > 1 ? 'are' : 'is'} the command's own AWS setting, not a field` : '';
      throw new UserError(`setup-profile: no terminal to ask on; give the fields as flags${note}`, 'e.g. `benchling-deploy setup-profile default --tenant acme --app-definition-id ... --client-id ... --quilt-stack-arn ... --image-tag 0.7.0`; `benchling-deploy setup-profile --help` lists every field\'s flag');
    }
    const initial = { ...formDefaults(dir, name, base, opts.from !== undefined), ...changes };
    const { runSetupForm } = await import('../../src/ui/run-setup.js');
    let written = '';
    const saved = await runSetupForm({
      name,
      initial: initial as Partial<ProfileFile>,
      save: (file) => {
        // The form may have turned the new profile into a dev one after starting from default's NAT gateways.
        saveProfile(dir, withoutProdOnlyCopies(file, name, changes, initial.natGateways !== undefined && file.natGateways === initial.natGateways));
        return (written = profilePath(dir, name));
      },
    });
    if (!saved) {
      print('cancelled; nothing was written');
      return 1;
    }
    print(`wrote ${written}`);
    return 0;
  }
  const file = withoutProdOnlyCopies({ ...base, ...changes, profile: name } as ProfileFile, name, changes, opts.from !== undefined);
  try {
    saveProfile(dir, file);
  } catch (error) {
    if (error instanceof UserErrors) throw new UserErrors(error.problems.map((p) => withFlagName(p, changes)), 'nothing was written');
    throw error;
  }
  print(`wrote ${profilePath(dir, name)}`);
  return 0;
});


/** Starting values: the profile itself when it exists, else `--from`, else `default` for shared fields. */
function baseProfile(dir: string, name: string, from: string | undefined): Partial<ProfileFile> {
  if (from !== undefined) {
    const src = loadProfile(dir, from).file;
    const { profile: _p, environment: _e, benchlingSecret: _s, ...rest } = src;
    return rest;
  }
  if (isFile(profilePath(dir, name))) {
    const raw = readJsonFile(profilePath(dir, name));
    if (isV06Profile(raw)) throw v06ProfileError(profilePath(dir, name));
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as Partial<ProfileFile>;
  }
  return {};
}

/**
 * The form's starting values: a new profile (not `default`, no `--from`) starts
 * from `default`'s shared fields, so a dev profile needs only what differs.
 */
function formDefaults(dir: string, name: string, base: Partial<ProfileFile>, fromGiven: boolean): Partial<ProfileFile> {
  if (fromGiven || name === 'default' || isFile(profilePath(dir, name)) || !isFile(profilePath(dir, 'default'))) return base;
  const raw = readJsonFile(profilePath(dir, 'default'));
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return base;
  const { profile: _p, environment: _e, benchlingSecret: _s, imageTag: _t, natGateways: _n, ...shared } = raw as Partial<ProfileFile>;
  // The NAT gateways are the stack's, set on the prod profile only: a new prod profile takes them, a dev one does not.
  return { ...shared, ...(defaultEnvironmentFor(name) === 'dev' ? {} : { natGateways: _n }), ...(name === 'dev' ? {} : { imageTag: _t }) };
}

/**
 * A profile copied with `--from` (or a form that started from default's values) that ends up a dev profile leaves
 * out what only a prod profile may hold (the NAT gateways, the stack's): `setup-profile dev --from default
 * --environment dev` works whatever default sets. What a flag gave stays, for the check to refuse by name.
 */
export function withoutProdOnlyCopies(file: ProfileFile, name: string, changes: Partial<Record<keyof ProfileFile, unknown>>, copied: boolean): ProfileFile {
  if (!copied || (file.environment ?? defaultEnvironmentFor(name)) !== 'dev' || changes.natGateways !== undefined) return file;
  const { natGateways: _n, ...rest } = file;
  return rest as ProfileFile;
}

function flagChanges(opts: Record<string, unknown>): Partial<Record<keyof ProfileFile, unknown>> {
  const changes: Partial<Record<keyof ProfileFile, unknown>> = {};
  for (const f of SETUP_FLAGS) {
    const v = opts[camel(f.flag)];
    if (v === undefined) continue;
    if ('number' in f && f.number) {
      const text = String(v);
      const n = /^\s*\d{1,6}\s*$/.test(text) ? Number(text) : NaN;
      if (f.field === 'cpu') {
        if (!FARGATE_CPUS.includes(n)) throw new UserError(`--${f.flag}: expected one of ${FARGATE_CPUS.join(', ')} (Fargate CPU units, 1024 = 1 vCPU), got "${displayLine(text, 40)}"`);
      } else {
        const [min, max] = NUMBER_RANGES[f.field];
        if (!(n >= min && n <= max)) throw new UserError(`--${f.flag}: expected a whole number from ${min} to ${max}, got "${displayLine(text, 40)}"`);
      }
      changes[f.field] = n;
    } else {
      changes[f.field] = v;
    }
  }
  if (opts.webhookVerification === false) changes.webhookVerification = false;
  return changes;
}

/**
 * Adds the flag that sets a field to a problem message (`...: benchlingTenant: ...` -> `(--tenant)`), when a flag
 * gave it (not a value copied from another profile or kept from the file).
 */
function withFlagName(problem: string, changes: Partial<Record<keyof ProfileFile, unknown>>): string {
  for (const f of SETUP_FLAGS) {
    if (problem.includes(`: ${f.field}: `) && changes[f.field as keyof ProfileFile] !== undefined) return `${problem} (flag --${f.flag})`;
  }
  return problem;
}

/** A client secret is a line of text; Secrets Manager holds at most 64 KiB. More on standard input is not one. */
const SECRET_STDIN_MAX_BYTES = 64 * 1024;

/** Standard input, to its end, at most {@link SECRET_STDIN_MAX_BYTES}: `yes | …` is refused, not read until the memory runs out. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let read = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    read += (chunk as Buffer).length;
    if (read > SECRET_STDIN_MAX_BYTES) {
      process.stdin.destroy();
      throw new UserError(`--client-secret-stdin: more than ${SECRET_STDIN_MAX_BYTES / 1024} KiB on standard input; nothing was written`, 'pipe in the client secret alone, e.g. `printf %s "$SECRET" | benchling-deploy setup-profile ... --client-secret-stdin`');
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}
