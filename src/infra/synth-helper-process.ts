/**
 * The synth helper's process (src/infra/synth-helper.ts): started by a `synth` as
 * `dist/synth-helper.cjs SOCKET KEY_HASH IDLE_MS`, it runs dist/synth.cjs with its code
 * cache (bin/front.ts: runSynthHelper), loads the synthesis and the files of aws-cdk-lib
 * a synthesis loads (dist/synth-modules.cjs), then serves syntheses at the socket.
 */
import { isAbsolute } from 'node:path';
import { installedCompileCache } from './compile-cache.js';
import { preloadModules } from './synth-worker.js';
import { closeInheritedDescriptors, serveSynthHelper, type SynthSummary } from './synth-helper.js';

/** Serves until the helper stops (see serveSynthHelper); `saveCaches`: the front's, once everything is loaded. Throws on arguments a `synth` never gives. */
export async function runHelperProcess(args: readonly string[], modulesFile: string, saveCaches: () => void = () => {}): Promise<void> {
  const [socket, keyHash, idle] = args;
  const idleMs = Number(idle);
  if (!socket || !isAbsolute(socket) || !keyHash || !/^[0-9a-f]{64}$/.test(keyHash) || !Number.isSafeInteger(idleMs) || idleMs <= 0) {
    throw new Error(`the synth helper takes SOCKET KEY_HASH IDLE_MS, as a synth starts it; given ${JSON.stringify(args)}`);
  }
  process.title = 'benchling-deploy synth helper';
  // What the command's parent gave it to inherit is not held for ten minutes.
  closeInheritedDescriptors();
  const end = await serveSynthHelper({
    socket,
    keyHash,
    idleMs,
    // Before it listens (loading blocks its event loop): until then, commands synthesize alone.
    async load() {
      const { synthesizeStack } = await import('./synth.js');
      preloadModules(modulesFile);
      saveCaches();
      // The result less the parsed template, which the command does not use: no need to send it.
      return (profiles, outDir): SynthSummary => {
        const { template: _template, ...summary } = synthesizeStack(profiles, outDir);
        return summary;
      };
    },
  });
  // Its socket removed (the cache folder with it, as a user clearing it or a test's end does): nothing is written there again.
  if (end === 'socket') installedCompileCache()?.forgo();
  else installedCompileCache()?.save();
}
