/**
 * The older tool's releases whose stacks are recognized: from v0.6.0, the
 * first of its secrets-only stacks, to v0.18, the latest. In a module of its
 * own so the commands that name it (the plan's words) do not load the YAML
 * parser that reading a deployed template needs.
 */
export const OLDER_TOOL_RANGE = { from: '0.6.0', to: '0.18' } as const;
