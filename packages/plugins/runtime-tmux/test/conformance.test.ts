import { runtimeConformance } from '@ao/testkit/runtime-conformance';
import { createTmuxRuntimeForTest } from './helpers.js';

runtimeConformance('tmux', async () => {
  const { runtime, cwd, cleanup } = await createTmuxRuntimeForTest();
  return { runtime, cwd, cleanup };
}, { openTerminal: true });
