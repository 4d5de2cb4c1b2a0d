#!/usr/bin/env node
'use strict';
// Entry of the `benchling-deploy` command: loads the bundle built by `npm ci` (prepare) or `npm run build`.
// CommonJS, as is dist/front.cjs: see bin/front.ts.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
let front;
try {
  front = require('../dist/front.cjs');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('front.cjs')) {
    // The words of brokenInstallation (src/broken-install.ts), in the bundle that is missing.
    const reason = String(error.message).split('\n')[0];
    process.stderr.write(`benchling-deploy: dist/front.cjs could not be loaded (${reason}); reinstall benchling-deploy, or in a clone run \`npm run build\` (npm ci builds it).\n`);
    process.exit(1);
  }
  throw error;
}
front.start(process.argv);
