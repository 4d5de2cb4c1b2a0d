import type { ResolvedProfile } from './schema.js';

/**
 * The value of an environment's secret in Secrets Manager: the JSON object the
 * webhook container (v0.6.3 and later) requires, ten string keys. The one
 * place this layout is known.
 */
export interface SecretValue {
  readonly tenant: string;
  readonly client_id: string;
  readonly client_secret: string;
  readonly app_definition_id: string;
  readonly pkg_prefix: string;
  readonly pkg_key: string;
  readonly user_bucket: string;
  readonly log_level: string;
  readonly enable_webhook_verification: string;
  readonly webhook_allow_list: string;
}

export const SECRET_KEYS = [
  'tenant',
  'client_id',
  'client_secret',
  'app_definition_id',
  'pkg_prefix',
  'pkg_key',
  'user_bucket',
  'log_level',
  'enable_webhook_verification',
  'webhook_allow_list',
] as const satisfies readonly (keyof SecretValue)[];

export type SecretBuild = { readonly ok: true; readonly value: SecretValue } | { readonly ok: false; readonly missing: readonly (keyof ResolvedProfile)[] };

/** Builds the secret from a profile, or names the profile fields it still needs. */
export function buildSecretValue(profile: ResolvedProfile): SecretBuild {
  const missing: (keyof ResolvedProfile)[] = [];
  if (!profile.benchlingClientSecret) missing.push('benchlingClientSecret');
  if (!profile.pkgBucket) missing.push('pkgBucket');
  if (missing.length > 0) return { ok: false, missing };
  return {
    ok: true,
    value: {
      tenant: profile.benchlingTenant,
      client_id: profile.benchlingClientId,
      client_secret: profile.benchlingClientSecret!,
      app_definition_id: profile.benchlingAppDefinitionId,
      pkg_prefix: profile.pkgPrefix,
      pkg_key: profile.pkgKey,
      user_bucket: profile.pkgBucket!,
      log_level: profile.logLevel,
      enable_webhook_verification: profile.webhookVerification ? 'true' : 'false',
      webhook_allow_list: profile.webhookAllowList.join(','),
    },
  };
}
