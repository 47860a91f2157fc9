import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runtimeConformance } from '@ao/testkit/runtime-conformance';
import { createSshRuntimeForTest, startSshd } from './sshd.js';

// workspace: shared — the conformance suite reads what the agent wrote in `cwd` from this machine,
// and the host here is this machine. workspace: sync (the default) is tested in workspace.test.ts.
runtimeConformance('ssh', async () => {
  const sshd = await startSshd();
  const under = await createSshRuntimeForTest({ hosts: [sshd.host('loopback')], workspace: 'shared' });
  const cwd = join(under.root, 'work');
  await mkdir(cwd, { recursive: true });
  return {
    runtime: under.runtime,
    cwd,
    cleanup: async () => {
      await under.cleanup();
      await sshd.stop();
    },
  };
});
