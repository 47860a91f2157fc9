/** The ssh runtime over a real sshd (testkit's startSshd) and a fresh AO_HOME. */
import { mkdtemp, realpath, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exec, resolvePaths, silentLogger, systemClock, type Exec, type PluginContext } from '@ao/core/plugin';
import plugin, { type SshRuntime } from '../src/index.js';
import { controlDirFor } from '../src/ssh.js';

export { startSshd, type TestSshd } from '@ao/testkit/sshd';

export interface SshRuntimeUnderTest {
  runtime: SshRuntime;
  ctx: PluginContext;
  home: string;
  root: string;
  cleanup(): Promise<void>;
}

/** A real ssh runtime over a fresh AO_HOME. `cleanup` ends tmux on the hosts, closes the connections and removes the temp dir. */
export async function createSshRuntimeForTest(config: Record<string, unknown>, options: { exec?: Exec; homeName?: string } = {}): Promise<SshRuntimeUnderTest> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'ao-runtime-ssh-')));
  const home = join(root, options.homeName ?? 'home');
  const env = { ...process.env, AO_HOME: home };
  const ctx: PluginContext = { logger: silentLogger, paths: resolvePaths(env), exec: options.exec ?? exec, clock: systemClock, env, configDir: root };
  const runtime = (await plugin.create(plugin.configSchema.parse(config), ctx)) as SshRuntime;
  return {
    runtime,
    ctx,
    home,
    root,
    async cleanup() {
      await runtime.killServers();
      await runtime.closeConnections();
      await rm(root, { recursive: true, force: true });
      // A data dir too deep for socket paths keeps them under the temp dir (controlDirFor).
      const controlDir = controlDirFor(home);
      if (!controlDir.startsWith(root)) {
        await rm(controlDir, { recursive: true, force: true });
        await rmdir(dirname(controlDir)).catch(() => undefined); // only when no other data dir uses it
      }
    },
  };
}
