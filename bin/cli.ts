import { quietWhenReadersGo } from './stream-errors.js';

quietWhenReadersGo();

// The ESM bundle: the commands the front hands off (bin/front.ts), read by the full parser. A
// bare line on a terminal opens the dashboard from the front, in dist/dashboard.cjs; it comes
// here only from the front's parser (a line the route leaves to it, bin/route.ts), which opens
// the dashboard then.
const { main } = await import('./program.js');
await main(process.argv);
