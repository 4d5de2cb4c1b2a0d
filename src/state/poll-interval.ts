// Apart from the poller, so that the --refresh option's help names the default without loading the poller.
/** How often the dashboard re-reads AWS unless --refresh says otherwise. */
export const DEFAULT_INTERVAL_MS = 5000;
