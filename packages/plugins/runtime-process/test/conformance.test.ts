import { runtimeConformance } from '@ao/testkit/runtime-conformance';
import { startTestDaemon } from './helpers.js';

runtimeConformance('process', async () => {
  const daemon = await startTestDaemon();
  return { runtime: daemon.runtime, cwd: daemon.cwd, cleanup: () => daemon.cleanup() };
}, { openTerminal: true });
