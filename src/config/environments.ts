// Apart from the profile schema, so that a command's options (its --help) name the environments without building zod schemas.
/** Environments the stack can hold, in display order. */
export const ENVIRONMENTS = ['dev', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];
