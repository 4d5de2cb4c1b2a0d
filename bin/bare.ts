import type { Globals } from './context.js';

/**
 * The global options of a bare `benchling-deploy` (the dashboard), read by the
 * front (bin/front.ts) without commander, so the first frame waits for nothing
 * it does not need. Anything else on the line (a command, --help, an unknown or
 * valueless option) returns null: the full parser then handles it, with its
 * messages.
 */
export function bareGlobals(args: readonly string[]): Globals | null {
  const g: { configDir?: string; awsProfile?: string; region?: string; json?: boolean; yes?: boolean } = {};
  const valued = { '--config-dir': 'configDir', '--aws-profile': 'awsProfile', '--region': 'region' } as const;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (Object.hasOwn(valued, name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      // A value given twice is the full parser's to refuse.
      if (value === undefined || value === '' || value.startsWith('-') || g[valued[name as keyof typeof valued]] !== undefined) return null;
      g[valued[name as keyof typeof valued]] = value;
    } else if (eq < 0 && (arg === '--json' || arg === '--yes' || arg === '-y')) {
      g[arg === '--json' ? 'json' : 'yes'] = true;
    } else {
      return null;
    }
  }
  return g;
}
