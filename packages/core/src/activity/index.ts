// Shared activity detection for agent plugins: screen heuristics, cheap log reading, and the
// transcript decision rules. See each file's header for why it exists.
export * from './screen.js';
export * from './files.js';
export * from './transcript.js';
export * from './menus.js';
