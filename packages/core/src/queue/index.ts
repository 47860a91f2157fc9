export * from './admission.js';
export * from './queue.js';
