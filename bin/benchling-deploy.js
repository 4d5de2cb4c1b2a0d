#!/usr/bin/env node
// Entry of the `benchling-deploy` command: loads the bundle built by `npm ci` (prepare) or `npm run build`.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
try {
  await import('../dist/cli.js');
} catch (error) {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    process.stderr.write('benchling-deploy: the bundle is missing; run `npm run build` (npm ci builds it).\n');
    process.exit(1);
  }
  throw error;
}
