// Scripted model servers on loopback for the three wire protocols the real agent CLIs speak.
export * from './server.js';
export * from './anthropic.js';
export * from './responses.js';
export * from './chat-completions.js';
