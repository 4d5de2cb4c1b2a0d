import { UserError, UserErrors } from '../errors.js';
import type { EnvironmentName, ResolvedProfile } from './schema.js';
import type { LoadedProfile } from './store.js';
import { profilePath } from './paths.js';

/** The profile each environment uses when none is named. */
export const DEFAULT_PROFILE_FOR: Record<EnvironmentName, string> = { dev: 'dev', prod: 'default' };

/** Where the one stack lives: always the prod profile's word. */
export interface StackPlace {
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
}

/** What the stack holds: prod always, dev when a dev profile exists. */
export interface StackProfiles {
  readonly place: StackPlace;
  readonly prod: ResolvedProfile;
  readonly dev?: ResolvedProfile;
}

/** A profile without its client secret, which the template never holds: what a synthesis in another thread or process gets, and what keys an assembly. */
export function withoutClientSecret(profile: ResolvedProfile): ResolvedProfile {
  const { benchlingClientSecret: _secret, ...rest } = profile;
  return rest;
}

/** The stack's profiles, and nothing else of what holds them, without their client secrets (see {@link withoutClientSecret}). */
export function withoutClientSecrets(profiles: StackProfiles): StackProfiles {
  return { place: profiles.place, prod: withoutClientSecret(profiles.prod), ...(profiles.dev ? { dev: withoutClientSecret(profiles.dev) } : {}) };
}

export interface DeployTarget extends StackProfiles {
  readonly environment: EnvironmentName;
  /** The profile being deployed, with the stack's place applied. */
  readonly profile: ResolvedProfile;
}

export interface TargetRequest {
  readonly environment?: EnvironmentName;
  readonly profile?: string;
  /** `--region` on the command line. */
  readonly region?: string;
}

/**
 * The pairing rules of profile and environment, used by every command that
 * deploys or reads the stack. Refuses, before anything runs, a profile paired
 * with the other environment, a dev profile that places the stack elsewhere
 * than prod, and a stack with no prod profile.
 */
export function resolveTarget(profiles: readonly LoadedProfile[], request: TargetRequest): DeployTarget {
  if (!request.environment && !request.profile) throw new UserError('--environment: required (dev or prod)');
  const profileName = request.profile ?? DEFAULT_PROFILE_FOR[request.environment!];
  const chosen = requireValid(profiles, profileName, request.environment);
  const environment = request.environment ?? chosen.environment;
  if (chosen.environment !== environment) {
    throw new UserError(
      `${fileOf(profiles, chosen.profile)}: environment: profile "${chosen.profile}" is for environment "${chosen.environment}"; it cannot be deployed to "${environment}"`,
      `use --environment ${chosen.environment}, or a profile whose environment is ${environment}${environment === 'prod' ? ' (default)' : ' (dev)'}`,
    );
  }
  const stack = resolveStackProfiles(profiles, { [environment]: chosen, region: request.region });
  const profile = environment === 'prod' ? stack.prod : stack.dev!;
  return { ...stack, environment, profile };
}

/**
 * The stack's profiles and place. `prod`/`dev` override the conventional
 * profiles (`default`, `dev`), as a deploy with `--profile` does.
 */
export function resolveStackProfiles(
  profiles: readonly LoadedProfile[],
  overrides: { prod?: ResolvedProfile; dev?: ResolvedProfile; region?: string } = {},
): StackProfiles {
  const prod = overrides.prod ?? findProd(profiles);
  if (prod.environment !== 'prod') {
    throw new UserError(`${fileOf(profiles, prod.profile)}: environment: profile "${prod.profile}" is for environment "${prod.environment}"; the prod profile must have environment "prod"`);
  }
  const devRaw = overrides.dev ?? findValid(profiles, DEFAULT_PROFILE_FOR.dev);
  const place: StackPlace = {
    stackName: prod.stackName,
    region: overrides.region ?? prod.region,
    account: prod.account,
  };
  const prodPlaced: ResolvedProfile = { ...prod, region: place.region };
  if (!devRaw) return { place, prod: prodPlaced };
  if (devRaw.environment !== 'dev') {
    // The conventional `dev` profile may be set to prod; then there is no dev environment.
    if (overrides.dev) throw new UserError(`${fileOf(profiles, devRaw.profile)}: environment: profile "${devRaw.profile}" is for environment "${devRaw.environment}", not "dev"`);
    return { place, prod: prodPlaced };
  }
  const conflicts: string[] = [];
  const fields = [
    ['stackName', devRaw.explicit.stackName, devRaw.stackName, place.stackName],
    ['region', devRaw.explicit.region, devRaw.region, prod.region],
    ['account', devRaw.explicit.account, devRaw.account, place.account],
  ] as const;
  for (const [field, explicit, devValue, prodValue] of fields) {
    if (explicit && devValue !== prodValue) {
      conflicts.push(
        `${fileOf(profiles, devRaw.profile)}: ${field}: "${devValue}" differs from the prod profile "${prod.profile}" ("${prodValue}" in ${fileOf(profiles, prod.profile)}); one stack lives in one place, set by the prod profile`,
      );
    }
  }
  if (conflicts.length > 0) throw new UserErrors(conflicts, `remove ${conflicts.length > 1 ? 'these fields' : 'the field'} from the dev profile, or make ${conflicts.length > 1 ? 'them' : 'it'} equal`);
  const dev: ResolvedProfile = { ...devRaw, stackName: place.stackName, region: place.region, account: place.account };
  return { place, prod: prodPlaced, dev };
}

/**
 * Every profile of the stack must name its package bucket before the stack is
 * synthesized or deployed: the template gives each environment's task role
 * that bucket, and the container writes packages there. `doing`: what needs it
 * (`deploy`, `synthesize the stack`). Throws one UserErrors naming each file.
 */
export function requirePackageBuckets(stack: StackProfiles, configDir: string, doing: string): void {
  const lacking = [stack.prod, ...(stack.dev ? [stack.dev] : [])].filter((p) => !p.pkgBucket);
  if (lacking.length === 0) return;
  throw new UserErrors(
    lacking.map((p) => `${profilePath(configDir, p.profile)}: pkgBucket: required to ${doing}: the S3 bucket the ${p.environment} container writes packages to`),
    lacking.map((p) => `\`benchling-deploy setup-profile ${p.profile} --pkg-bucket BUCKET\``).join(', then '),
  );
}

/**
 * What pairing would refuse in these profiles, by profile name, each naming the file and field: the
 * prod profile (default) set to another environment, and each dev profile (dev, or any whose environment
 * is dev, as `deploy -e dev --profile P` takes it) that places the stack other than prod does. `validate`
 * and `profiles` report these, so a check that passes is not refused by the deploy after it. A profile
 * with problems of its own, or a folder without a valid prod profile, adds nothing here: its own check
 * (or the deploy's "no prod profile") says it.
 */
export function pairingProblems(profiles: readonly LoadedProfile[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const prod = profiles.find((p) => p.name === DEFAULT_PROFILE_FOR.prod)?.profile;
  if (!prod) return found;
  const refused = (name: string, run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      found.set(name, [...(found.get(name) ?? []), ...(error instanceof UserErrors ? error.problems : [error.message])]);
    }
  };
  if (prod.environment !== 'prod') {
    refused(prod.profile, () => resolveStackProfiles(profiles, { prod }));
    return found;
  }
  for (const p of profiles) {
    if (p.profile?.environment === 'dev') refused(p.name, () => resolveStackProfiles(profiles, { prod, dev: p.profile }));
  }
  return found;
}

/** A profile's file for a message: its path when it was read from the folder, else its name. */
function fileOf(profiles: readonly LoadedProfile[], name: string): string {
  return profiles.find((p) => p.name === name)?.path ?? `profile "${name}"`;
}

const MIGRATE_HINT = 'run `benchling-deploy migrate` (the original is kept)';

function findProd(profiles: readonly LoadedProfile[]): ResolvedProfile {
  const named = profiles.find((p) => p.name === DEFAULT_PROFILE_FOR.prod);
  if (named) {
    if (!named.profile) throw new UserErrors(named.problems, named.v06 ? MIGRATE_HINT : 'fix the prod profile first: `benchling-deploy validate --profile default`');
    return named.profile;
  }
  throw new UserError(
    'no prod profile: default.json is missing; prod is required, and the stack\'s name, account and region come from it',
    'create it with `benchling-deploy setup-profile default`',
  );
}

function findValid(profiles: readonly LoadedProfile[], name: string): ResolvedProfile | undefined {
  const found = profiles.find((p) => p.name === name);
  if (!found) return undefined;
  if (!found.profile) throw new UserErrors(found.problems, found.v06 ? MIGRATE_HINT : `fix it first: \`benchling-deploy validate --profile ${name}\``);
  return found.profile;
}

function requireValid(profiles: readonly LoadedProfile[], name: string, environment?: EnvironmentName): ResolvedProfile {
  const found = profiles.find((p) => p.name === name);
  if (!found) {
    const forEnv = environment ? ` (the profile for environment "${environment}")` : '';
    throw new UserError(`no profile "${name}"${forEnv}`, `create it with \`benchling-deploy setup-profile ${name}${environment === 'dev' ? ' --environment dev' : ''}\``);
  }
  if (!found.profile) throw new UserErrors(found.problems, found.v06 ? MIGRATE_HINT : `fix it first: \`benchling-deploy validate --profile ${name}\``);
  return found.profile;
}
