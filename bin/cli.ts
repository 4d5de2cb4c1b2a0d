import { bareGlobals } from './bare.js';
import { action, isInteractive } from './context.js';

// A reader that goes away (`| head`, `2>&1 | head`, `2> >(…)`) ends what a command prints there,
// quietly: no EPIPE stack. What the command does goes on to its end (a deploy is not left
// half-done for want of a reader), with its exit status; `logs --follow` stops by itself when
// stdout's reader goes (bin/commands/logs.ts).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

// `benchling-deploy` alone on a terminal opens the dashboard straight away: the command
// parser and the profile schema load after its first frame. Everything else goes through
// the full parser (which also opens the dashboard when the short way cannot tell).
const bare = isInteractive() ? bareGlobals(process.argv.slice(2)) : null;
if (bare) {
  const { runDashboard } = await import('./commands/dashboard.js');
  await action(() => runDashboard(bare))();
} else {
  const { main } = await import('./program.js');
  await main(process.argv);
}
