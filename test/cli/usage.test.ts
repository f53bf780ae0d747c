/**
 * saga-ctl without an orchestrator: usage errors exit 2 with the usage, an unreachable --url
 * exits 3 with a readable message, and every command answers --help. No stack traces.
 */
import { expect, it } from 'vitest';
import { run } from '../../cli/cli.ts';
import { COMMANDS } from '../../cli/commands/index.ts';
import { freePort } from '../support/nats-server.ts';
import { ctl, STACK_LINE } from './ctl.ts';

it('exits 2 with the usage on a missing --reason, an unknown command or a bad option', async () => {
  const [noReason, unknown, badOption, badLimit, noCommand] = await Promise.all([
    ctl(['compensate', 'ord_00000000000000000000000000']),
    ctl(['frobnicate']),
    ctl(['list', '--colour', 'red']),
    ctl(['list', '--limit', 'many']),
    ctl([]),
  ]);
  expect(noReason.code).toBe(2);
  expect(noReason.stderr).toMatch(/^error: missing --reason/);
  expect(noReason.stderr).toContain('usage: saga-ctl compensate <orderId> --reason <text>');
  expect(noReason.stdout).toBe('');

  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/^error: unknown command "frobnicate"/);
  expect(unknown.stderr).toContain('usage: saga-ctl <command>');
  expect(unknown.stderr).toMatch(/^\s+bulk compensate\s/m);
  expect(unknown.stderr).toMatch(/^\s+pause <orderId>\s+hold an order/m);
  expect(unknown.stderr).toMatch(/^\s+bulk resume\s/m);

  expect(badOption.code).toBe(2);
  expect(badOption.stderr).toMatch(/^error: Unknown option '--colour'/);
  expect(badOption.stderr).toContain('usage: saga-ctl list [options]');

  expect(badLimit.code).toBe(2);
  expect(badLimit.stderr).toContain('error: --limit must be a whole number from 1 to 500, not "many"');

  expect(noCommand.code).toBe(2);
  expect(noCommand.stderr).toMatch(/^error: missing command/);

  for (const result of [noReason, unknown, badOption, badLimit, noCommand]) expect(result.stderr).not.toMatch(STACK_LINE);
});

it('pause, resume and the paused filter: usage errors exit 2 before anything is sent', async () => {
  const [noReason, both, withValue, bulkNoFilter, bulkNoReason] = await Promise.all([
    ctl(['resume', 'ord_00000000000000000000000000']),
    ctl(['list', '--paused', '--not-paused']),
    ctl(['list', '--paused=false']),
    ctl(['bulk', 'pause', '--reason', 'outage']),
    ctl(['bulk', 'resume', '--paused']),
  ]);
  expect(noReason.code).toBe(2);
  expect(noReason.stderr).toMatch(/^error: missing --reason/);
  expect(noReason.stderr).toContain('usage: saga-ctl resume <orderId> --reason <text>');

  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/^error: --paused and --not-paused exclude each other/);

  expect(withValue.code).toBe(2);
  expect(withValue.stderr).toMatch(/^error: Option '--paused' does not take an argument \(for the opposite: --not-paused\)$/m);

  expect(bulkNoFilter.code).toBe(2);
  expect(bulkNoFilter.stderr).toMatch(/^error: bulk pause needs at least one filter \(--status, .*--paused, --not-paused, .*--incident\)$/m);

  expect(bulkNoReason.code).toBe(2);
  expect(bulkNoReason.stderr).toMatch(/^error: missing --reason/);

  for (const result of [noReason, both, withValue, bulkNoFilter, bulkNoReason]) {
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(STACK_LINE);
  }
});

it('exits 3 with a readable message when the orchestrator cannot be reached', async () => {
  const port = await freePort(); // free: nothing listens there
  const url = `http://127.0.0.1:${port}`;
  const [byOption, byEnv] = await Promise.all([ctl(['list', '--url', url]), ctl(['show', 'ord_00000000000000000000000000'], { env: { SAGA_URL: url } })]);
  for (const result of [byOption, byEnv]) {
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`error: cannot reach ${url} (is the orchestrator running?)\n`);
    expect(result.stdout).toBe('');
  }
});

it('answers --help for every command', async () => {
  for (const command of COMMANDS) {
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: {} };
    const code = await run([...command.path, '--help'], io);
    expect({ command: command.path.join(' '), code, stderr }).toEqual({ command: command.path.join(' '), code: 0, stderr: '' });
    expect(stdout).toMatch(new RegExp(`^usage: saga-ctl ${command.path.join(' ')}\\b`));
    expect(stdout).toContain(command.summary);
    expect(stdout).toContain('--json');
  }
  // And as a process: the global help lists every command.
  const help = await ctl(['--help']);
  expect(help.code).toBe(0);
  for (const command of COMMANDS) expect(help.stdout).toContain(command.path.join(' '));
});
