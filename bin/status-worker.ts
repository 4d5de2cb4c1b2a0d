// The entry of dist/status-worker.cjs: the file the dashboard's AWS worker thread starts with
// (src/state/worker-status-api.ts: startStatusWorker). It answers the dashboard's AWS calls with
// the clients of dist/status.cjs, through the front beside it (bin/front.ts: runStatusWorker).
import type * as Front from './front.js';

(require('./front.cjs') as typeof Front).runStatusWorker();
