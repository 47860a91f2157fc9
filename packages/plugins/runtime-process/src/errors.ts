import { AoError } from '@ao/core';

/** Host-side failures carry the HTTP status the routes answer with. */
export function hostError(status: number, message: string, details: Record<string, unknown> = {}): AoError {
  return new AoError('RUNTIME_FAILED', message, { details: { ...details, httpStatus: status } });
}
