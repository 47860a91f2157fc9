// The host's API of @ao/core (daemon, CLI, web, testkit). Plugins import `@ao/core/plugin` (plugin-api.ts) only.
export * from './contracts/index.js';
export * from './errors.js';
export * from './paths.js';
export * from './exec.js';
export * from './launch-script.js';
export * from './http.js';
export * from './http-router.js';
export * from './clock.js';
export * from './logging.js';
export * from './context.js';
export * from './git.js';
export * from './activity/index.js';
// zod re-exported so plugins (built-in and external) write `configSchema` with the same copy.
export { z } from 'zod';
export * from './yaml.js';
export * from './config/schema.js';
export { valueAt, formatPath } from './config/issues.js';
export * from './config/load.js';
export * from './config/resolve.js';
export * from './plugins/registry.js';
export * from './plugins/host.js';
export * from './plugins/shape.js';
export * from './sessions/schema.js';
export * from './sessions/store.js';
export * from './templates.js';
export * from './sessions/manager.js';
export * from './review.js';
export * from './attention.js';
export * from './pty-terminal.js';
export * from './sessions/naming.js';
export * from './sessions/ready.js';
export { reserveNextNumber, withFileLock, type FileLockOptions } from './sessions/lock.js';
export * from './daemon-client.js';
export {
  writeFileAtomic,
  writeFileAtomicSync,
  readJsonRecord,
  writeJsonRecord,
  mkdirPrivate,
  mkdirPrivateSync,
  ensureDataDir,
  ensureDataDirSync,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
} from './sessions/fs-atomic.js';
export * from './lifecycle/index.js';
export * from './approvals/index.js';
export * from './crews/index.js';
export * from './process.js';
export { crashPoint } from './crash-point.js';
export * from './ci/failures.js';
export * from './queue/index.js';
export * from './plans/index.js';
export * from './triggers/index.js';
export * from './template-store.js';
export * from './usage/index.js';
