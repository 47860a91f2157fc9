// @ao/demo-agent: the scripted agent CLI `ao demo` runs as its two agents, and the fake agent the
// testkit offers to tests (@ao/testkit/fake-agent re-exports it). Plain built code with no build
// or test tooling at run time, so the installed `ao` carries it and nothing else of the testkit.
import { fileURLToPath } from 'node:url';

export * from './agent.js';
export * from './input.js';
export { parseScenario, type FakeAgentLogEntry, type FakeAgentScenario, type FakeAgentStep } from './scenario.js';

/** Absolute path of the agent's bin script (it runs the built `dist/cli.js`). */
export function demoAgentBinPath(): string {
  return fileURLToPath(new URL('../bin/demo-agent.js', import.meta.url));
}

/** argv that runs the scripted agent with this node, e.g. as an agent command in a config. */
export function demoAgentArgv(args: readonly string[] = []): string[] {
  return [process.execPath, demoAgentBinPath(), ...args];
}
