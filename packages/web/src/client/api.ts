import type { Approval, Session, SessionEvent } from '@ao/core';

/** The daemon API as the page uses it. Auth is the HttpOnly cookie the token URL set. */

export type { Approval, Session, SessionEvent };

export interface EventMessage {
  sessionId: string;
  project: string;
  event: SessionEvent;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let value: unknown;
  try {
    value = text ? JSON.parse(text) : undefined;
  } catch {
    value = undefined;
  }
  if (!res.ok) {
    const error = (value as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (res.status === 401) throw new ApiError(401, 'UNAUTHORIZED', 'Not signed in: open the URL `ao dashboard` prints (it carries the token).');
    throw new ApiError(res.status, error?.code ?? 'HTTP', error?.message ?? `${method} ${path}: HTTP ${res.status}`);
  }
  return value as T;
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}): Promise<T> => request<T>('POST', path, body);

export const enc = encodeURIComponent;
