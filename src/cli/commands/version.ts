/** `kubectl hpc version`: the plugin's version and the Node.js it runs on, as text or -o json|yaml. */
import { COMMON_FLAGS, OUTPUT, outputFormat, type CliContext, type Command } from '../command.js';
import { render } from '../format.js';
import { PLUGIN_VERSION } from '../version.js';

export const version: Command = {
  name: 'version',
  summary: 'Print the version of the plugin.',
  usage: ['version [-o json|yaml]'],
  flags: [OUTPUT, ...COMMON_FLAGS],
  run(ctx: CliContext): Promise<number> {
    const info = {
      clientVersion: {
        version: `v${PLUGIN_VERSION}`,
        node: process.version,
        platform: `${process.platform}/${process.arch}`,
      },
    };
    const format = outputFormat(ctx);
    ctx.out.write(
      format
        ? render(info, format)
        : `kubectl-hpc v${PLUGIN_VERSION} (node ${process.version}, ${process.platform}/${process.arch})\n`,
    );
    return Promise.resolve(0);
  },
};
