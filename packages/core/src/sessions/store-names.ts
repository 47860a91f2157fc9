import { AoError } from '../errors.js';

/** What a project name, session id or id prefix may look like: it becomes part of a file name. */
export const ID_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Names become file names: refuse separators and dot-files before they reach the file system. */
export function checkName(what: string, value: string): void {
  if (!ID_PART.test(value) || value.includes('..')) {
    throw new AoError('USAGE', `Invalid ${what} "${value}": use letters, digits, '.', '_' and '-' only.`, { details: { [what]: value } });
  }
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `app-2` before `app-10`. One collator: `localeCompare` with options builds one per call. */
export const compareIds = new Intl.Collator('en', { numeric: true }).compare;
