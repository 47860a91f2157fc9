export * from './admission.js';
export * from './queue.js';
export * from './tick.js';
