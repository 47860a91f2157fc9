import { defineConfig } from 'tsup';

// Two entries: the library (index) and the agent's process (cli, run by bin/demo-agent.js). Not
// cleaned first: @ao/testkit's ensureFakeAgentBuilt rebuilds this in place while tests may run it.
export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  target: 'node20',
  splitting: false,
  clean: false,
});
