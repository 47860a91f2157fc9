export * from './store.js';
export * from './messages.js';
