export * from './schema.js';
export * from './totals.js';
export * from './pricing.js';
export * from './refresh.js';
