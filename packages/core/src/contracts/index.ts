export * from './plugin.js';
export * from './runtime.js';
export * from './agent.js';
export * from './workspace.js';
export * from './tracker.js';
export * from './scm.js';
export * from './notifier.js';
export * from './terminal.js';
