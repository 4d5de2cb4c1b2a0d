import { ProfileFileSchema, type ProfileFile, defaultEnvironmentFor } from './schema.js';

/** Fields the setup form asks for, in order, with what an operator needs to know. */
export const FORM_FIELDS = [
  { field: 'environment', label: 'Environment', help: 'dev or prod', required: false },
  { field: 'benchlingTenant', label: 'Benchling tenant', help: 'the part before .benchling.com', required: true },
  { field: 'benchlingAppDefinitionId', label: 'App definition id', help: 'from the Benchling app manifest', required: true },
  { field: 'benchlingClientId', label: 'Client id', help: 'OAuth client id of the app', required: true },
  { field: 'benchlingClientSecret', label: 'Client secret', help: 'stored in the profile (mode 0600) and the secret; never shown', required: false, secret: true },
  { field: 'quiltStackArn', label: 'Quilt stack ARN', help: 'arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID', required: true },
  { field: 'imageTag', label: 'Image tag', help: 'prod: a fixed version or sha256:<digest>; dev: default latest', required: false },
  { field: 'pkgBucket', label: 'Package bucket', help: 'S3 bucket packages are written to', required: false },
  { field: 'webhookAllowList', label: 'Allow list', help: 'comma-separated IPv4 CIDRs; empty allows all', required: false },
  { field: 'logLevel', label: 'Log level', help: 'DEBUG, INFO, WARNING or ERROR', required: false },
] as const satisfies readonly { field: keyof ProfileFile; label: string; help: string; required: boolean; secret?: boolean }[];

export type FormField = (typeof FORM_FIELDS)[number]['field'];

/**
 * Checks one field's text as it is typed; undefined when acceptable. An empty
 * optional field is acceptable (the default applies).
 */
export function checkFieldText(field: FormField, text: string, profileName: string, environmentText: string): string | undefined {
  const def = FORM_FIELDS.find((f) => f.field === field)!;
  const value = text.trim();
  const environment = environmentText.trim() === '' ? defaultEnvironmentFor(profileName) : environmentText.trim();
  if (value === '') {
    if (def.required) return 'required';
    if (field === 'imageTag' && environment === 'prod') return 'required for prod: a fixed version or sha256:<digest>';
    return undefined;
  }
  if (field === 'imageTag' && environment === 'prod' && value === 'latest') return 'prod must not run "latest"';
  const schema = ProfileFileSchema.shape[field];
  const parsed = schema.safeParse(value);
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
}

/** The profile file the form's texts describe; empty optional fields are left out. */
export function formToProfile(profileName: string, texts: Partial<Record<FormField, string>>, base: Partial<ProfileFile> = {}): ProfileFile {
  const out: Record<string, unknown> = { ...base, profile: profileName };
  for (const { field } of FORM_FIELDS) {
    const v = (texts[field] ?? '').trim();
    if (v === '') delete out[field];
    else out[field] = v;
  }
  return out as ProfileFile;
}
