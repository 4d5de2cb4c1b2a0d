import type { Command } from 'commander';
import { UserError, UserErrors } from '../../src/errors.js';
import { checkProfileName, inspectAllProfiles, inspectProfile, isFile, type LoadedProfile } from '../../src/config/store.js';
import { DEFAULT_PROFILE_FOR, pairingProblems } from '../../src/config/pairing.js';
import { unservableProblem } from '../../src/infra/container-contract.js';
import { profilePath } from '../../src/config/paths.js';
import { displayLine } from '../../src/display-text.js';
import { writeDirectly } from '../output.js';
import { action, configDirOf, globalsOf, print, printJson, runCommand, warn, type Globals } from '../context.js';

// `profiles` and `validate`: they read the config folder and nothing else, so they run in the
// CommonJS front (bin/front.ts), without the ESM bundle: straight from the route when it read
// the line whole, else from the front's parser. Keep this module's
// imports to the profile store: no AWS, no Ink, no dynamic import (the front build refuses one).

export const listProfilesAction = action((_opts: unknown, cmd: Command) => listProfiles(globalsOf(cmd)));

export const validateAction = action((opts: { profile?: string }, cmd: Command) => validateProfiles(opts, globalsOf(cmd)));

/**
 * validate or profiles as the front's route read them (bin/front.ts), without commander:
 * `options` and `globals` are what commander would give (the command's options, and
 * optsWithGlobals). Run here whole, errors included.
 */
export function runFrontCommand(command: string, options: Readonly<Record<string, unknown>>, globals: Globals): Promise<void> {
  const run = Object.hasOwn(CHECKS, command) ? CHECKS[command as keyof typeof CHECKS] : undefined;
  // The route sends only these two (bin/route.ts FRONT_COMMANDS): anything else is a bug, not a command to guess.
  if (!run) throw new Error(`the front has no check named ${JSON.stringify(command)}`);
  writeDirectly();
  return runCommand(() => run(options, globals), () => globals);
}

/** The commands the front runs, by the name the route read (bin/route.ts FRONT_COMMANDS). */
export const CHECKS = {
  validate: (options: Readonly<Record<string, unknown>>, globals: Globals) => validateProfiles(options as { profile?: string }, globals),
  profiles: (_options: Readonly<Record<string, unknown>>, globals: Globals) => listProfiles(globals),
} as const;

function listProfiles(g: Globals): number {
  const dir = configDirOf(g);
  const all = withStackProblems(inspectAllProfiles(dir));
  const rows = all.map((p) => ({
    name: p.name,
    environment: p.profile?.environment ?? null,
    tenant: p.profile?.benchlingTenant ?? null,
    imageTag: p.profile?.imageTag ?? null,
    stack: p.profile?.stackName ?? null,
    status: p.v06 ? 'v0.6' : p.problems.length > 0 ? 'invalid' : 'valid',
    problems: p.problems,
    warnings: p.warnings,
  }));
  if (g.json) {
    printJson({ configDir: dir, profiles: rows });
    return 0;
  }
  if (rows.length === 0) {
    print(`no profiles in ${dir}`);
    print('create one with `benchling-deploy setup-profile default`');
    return 0;
  }
  const table = [['PROFILE', 'ENV', 'TENANT', 'IMAGE TAG', 'STACK', 'STATUS'], ...rows.map((r) => [r.name, r.environment ?? '-', r.tenant ?? '-', r.imageTag ?? '-', r.stack ?? '-', r.status])];
  for (const line of formatTable(table)) print(line);
  for (const r of rows) for (const w of [...r.warnings, ...(r.status === 'v0.6' ? r.problems : [])]) warn(w);
  return 0;
}

function validateProfiles(opts: { profile?: string }, g: Globals): number {
  const dir = configDirOf(g);
  // One profile is checked against the others too: a dev profile's place is the prod profile's. Read once, with them.
  if (opts.profile !== undefined) requireProfileFile(dir, opts.profile);
  const folder = inspectAllProfiles(dir);
  const one = opts.profile === undefined ? undefined : (folder.find((p) => p.name === opts.profile) ?? inspectProfile(dir, opts.profile));
  const all = one ? withStackProblems([one], folder) : withStackProblems(folder);
  if (all.length === 0) throw new UserError(`no profiles in ${dir}`, 'create one with `benchling-deploy setup-profile default`');
  // Without the prod profile no deploy runs, dev's neither: the stack's place is prod's.
  const noProd = !folder.some((p) => p.name === DEFAULT_PROFILE_FOR.prod);
  const folderProblems = noProd ? [`${profilePath(dir, DEFAULT_PROFILE_FOR.prod)}: missing: no prod profile; prod is required, and the stack's name, account and region come from it (a deploy of dev is refused without it too)`] : [];
  const problems = [...folderProblems, ...all.flatMap((p) => p.problems)];
  const warnings = all.flatMap((p) => p.warnings);
  if (g.json) printJson({ valid: problems.length === 0, problems: folderProblems, profiles: all.map((p) => ({ name: p.name, path: p.path, valid: p.problems.length === 0, problems: p.problems, warnings: p.warnings })) });
  for (const w of warnings) warn(w);
  if (problems.length > 0) {
    const hint = all.some((p) => p.v06) ? 'run `benchling-deploy migrate` for v0.6 profiles' : noProd ? 'create it with `benchling-deploy setup-profile default`' : undefined;
    throw new UserErrors(problems, hint);
  }
  if (!g.json) for (const p of all) print(`${p.path}: valid (${p.profile!.environment})`);
  return 0;
}

/**
 * `profiles` with what a deploy would refuse of each beyond its own check, so a check that passes is
 * not refused by the deploy after it: pairing (src/config/pairing.ts pairingProblems, judged among
 * `folder`'s profiles) and an image the stack cannot serve (src/infra/container-contract.ts). Each
 * problem names the file and field; the profile itself stays, for its row.
 */
function withStackProblems(profiles: readonly LoadedProfile[], folder: readonly LoadedProfile[] = profiles): LoadedProfile[] {
  const pairing = pairingProblems(folder);
  return profiles.map((p) => {
    if (!p.profile) return p;
    const image = unservableProblem(p.profile.imageTag, `${p.path}: imageTag`);
    const more = [...(pairing.get(p.name) ?? []), ...(image ? [image] : [])];
    return more.length === 0 ? p : { ...p, problems: [...p.problems, ...more] };
  });
}

/** `--profile NAME`: a profile's name, whose file is there; refused naming the flag otherwise. */
function requireProfileFile(dir: string, name: string): void {
  checkProfileName(name, '--profile');
  if (!isFile(profilePath(dir, name))) {
    throw new UserError(`--profile: no profile "${name}" (${profilePath(dir, name)} does not exist)`, `create it with \`benchling-deploy setup-profile ${name}\``);
  }
}

/** A table cell's most characters. */
const CELL_MAX = 200;

export function formatTable(table: string[][]): string[] {
  // Cells hold outside text (files, AWS): each one line through the door, so columns stay columns.
  const rows = table.map((r) => r.map((c) => displayLine(c, CELL_MAX)));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  '));
}
