// The entry of dist/status-worker.cjs: the file the dashboard's AWS worker thread starts with
// (src/state/status-worker-start.ts: startStatusWorker). A bundle of its own, only the clients
// (src/state/status-worker.ts) and what they use: the thread loads nothing of the status command
// or the profile schema before the SDK. The SDK comes from dist/sdk.cjs with its code cache, loaded
// by the front beside it (src/state/sdk-modules.ts); the front's keptCachesNow writes this user's
// cache of it, where V8 refused the build's, once the first answer has compiled the calling code.
import { parentPort } from 'node:worker_threads';
import type * as Front from './front.js';
import { answerStatusWorker } from '../src/state/status-worker.js';

answerStatusWorker(parentPort, (require('./front.cjs') as typeof Front).keptCachesNow);
