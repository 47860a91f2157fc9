export * from './schema.js';
export * from './runner.js';
