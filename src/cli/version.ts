/**
 * The plugin's version: the package's, kept here rather than read from package.json at run time because the
 * krew archive is one bundled file with no package.json next to it (src/cli/version.test.ts keeps the two
 * equal).
 */
export const PLUGIN_VERSION = '0.1.0';
