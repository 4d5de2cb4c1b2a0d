// The dashboard as the front opens it for a bare line on a terminal (bin/front.ts
// openDashboard): dist/dashboard.cjs, a CommonJS bundle run from V8's code cache, where the
// ESM bundle's chunks would be compiled on every start. Ink's layout engine is dist/yoga.cjs and
// dist/yoga.wasm, which the front loads first (scripts/yoga-bundle.mjs, scripts/dashboard-bundle.mjs).
import { runCommand, type Globals } from './context.js';
import { runDashboard } from './commands/dashboard.js';
import { quietWhenReadersGo } from './stream-errors.js';

/** Runs the dashboard with the globals of a bare line, as the front's route read them (bin/route.ts); sets the exit status. Its errors are worded with those globals (the AWS profile, the config folder), as the parser's run words them. */
export async function openDashboard(g: Globals): Promise<void> {
  quietWhenReadersGo();
  await runCommand(() => runDashboard(g), () => g);
}
