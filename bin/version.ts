/** The tool's version: set by the build (scripts/build.mjs) from package.json. */
export const VERSION = process.env.BENCHLING_DEPLOY_VERSION ?? '0.0.0-dev';
