import { isAoError } from '@ao/core';

/** The CLI's one error boundary: prints the message (and the cause with --verbose), returns the exit code. */
export function handleError(error: unknown, verbose: boolean): number {
  if (isAoError(error)) {
    process.stderr.write(`ao: ${error.message}\n`);
    if (verbose && error.cause) process.stderr.write(`cause: ${formatCause(error.cause)}\n`);
    return error.exitCode;
  }
  process.stderr.write(`ao: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('(run with --verbose for details)\n');
  return 1;
}

function formatCause(cause: unknown): string {
  if (cause instanceof Error) return cause.stack ?? cause.message;
  return String(cause);
}
