/** The saga-ctl entry point: `npm run ctl -- <command>` or `bin/saga-ctl.mjs <command>`. */
import { run } from './cli.ts';

// `saga-ctl list | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
