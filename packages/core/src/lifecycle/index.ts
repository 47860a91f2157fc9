export * from './config.js';
export { createLifecycleManager, type LifecycleDeps, type LifecycleManager, type PollSummary } from './manager.js';
export { autonomyFor, needsApproval, describeAction, type LifecycleEvent } from './actions.js';
export { deriveStatus, type DeriveInput, type Derived } from './derive.js';
export { createLedger, type Ledger, type ReactionEntry, type ReactionAttempt } from './ledger.js';
export { MAX_ATTEMPTS, type ReactionResult, type RunnerHooks } from './runner.js';
