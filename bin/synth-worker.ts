// The entry of dist/synth-worker.cjs: the file the dashboard's synth worker thread starts with
// (src/infra/operations.ts: startSynthWorker). It runs the synthesis in dist/synth.cjs,
// through the front beside it (bin/front.ts: runSynthWorker).
import type * as Front from './front.js';

(require('./front.cjs') as typeof Front).runSynthWorker();
