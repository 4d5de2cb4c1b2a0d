// Apart from the poller, so that the --refresh option's help names the default without loading the poller,
// and the front's route reads --refresh without commander (bin/route.ts).
/** How often the dashboard re-reads AWS unless --refresh says otherwise. */
export const DEFAULT_INTERVAL_MS = 5000;

/** The seconds `--refresh` (and BENCHLING_DEPLOY_REFRESH_SECONDS) may ask for. */
export const REFRESH_SECONDS = { min: 1, max: 3600 } as const;

/**
 * `--refresh SECONDS` in milliseconds, or undefined for a value that is not a number of seconds
 * from 1 to 3600. One reading for commander's parser (bin/numbers.ts), the front's route and the
 * environment variable, so that each takes and refuses the same values.
 */
export function refreshMs(text: string): number | undefined {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < REFRESH_SECONDS.min || seconds > REFRESH_SECONDS.max) return undefined;
  return Math.round(seconds * 1000);
}
