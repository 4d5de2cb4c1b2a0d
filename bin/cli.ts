import { bareGlobals } from './bare.js';
import { action, isInteractive } from './context.js';

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
