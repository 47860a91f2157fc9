// @ao/testkit: everything a plugin author needs to test a plugin the way ao's own are tested.
export * from './fake-agent.js';
export * from './temp-repo.js';
export * from './runtime-conformance.js';
export * from './workspace-conformance.js';
export * from './notifier-conformance.js';
export * from './tracker-conformance.js';
export * from './scm-conformance.js';
export * from './http-recorder.js';
export * from './fake-github.js';
