// The entry of dist/synth-helper.cjs: the synth helper's process (src/infra/synth-helper.ts),
// started by a `synth`. It runs the synthesis in dist/synth.cjs, through the front beside it
// (bin/front.ts: runSynthHelper).
import type * as Front from './front.js';

(require('./front.cjs') as typeof Front).runSynthHelper(process.argv.slice(2));
