/**
 * Fault injection for the crash tests: with `AO_TEST_CRASH_AT=<step>` in its environment, an ao
 * process kills itself with SIGKILL (no cleanup, no `finally`, like `kill -9` or the OOM killer)
 * when it reaches `<step>`. Steps of a delivery, in order: `reaction.pending`, `reaction.attempt`,
 * `message.sending`, `tmux.loaded`, `message.pasted`, `message.sent`, `reaction.done`.
 * Unset (always, outside tests) it does nothing.
 */
export function crashPoint(step: string): void {
  if (process.env.AO_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}
