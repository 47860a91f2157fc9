import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The throw-away project `ao demo` works on: a tiny calculator with a test runner, two local
 * issues, and two scripted agents — one gets it right, one ships a bug that CI catches and then
 * fixes it when ao sends it the failure.
 */
export interface DemoFixture {
  repo: string;
  home: string;
  config: string;
}

const FILES: Record<string, string> = {
  'README.md': '# calc\n\nA tiny calculator used by `ao demo`.\n',
  'src/add.js': 'module.exports = (a, b) => a + b;\n',
  'test/add.test.js': "const assert = require('node:assert');\nconst add = require('../src/add.js');\nassert.strictEqual(add(2, 3), 5);\n",
  'run-tests.js': [
    "// Runs every test/*.test.js; exits 1 on the first failure (this is the project's CI).",
    "const { readdirSync } = require('node:fs');",
    "const { join } = require('node:path');",
    'let failed = 0;',
    "for (const f of readdirSync(join(__dirname, 'test')).filter((f) => f.endsWith('.test.js')).sort()) {",
    '  try {',
    "    require(join(__dirname, 'test', f));",
    '    console.log(`ok   ${f}`);',
    '  } catch (error) {',
    '    failed++;',
    '    console.log(`FAIL ${f}: ${error.message}`);',
    '  }',
    '}',
    "console.log(failed ? `${failed} test file(s) failed` : 'all tests passed');",
    'process.exit(failed ? 1 : 0);',
    '',
  ].join('\n'),
  'package.json': '{ "name": "calc", "private": true, "scripts": { "test": "node run-tests.js" } }\n',
};

const SUBTRACT_TEST = "const assert = require('node:assert');\nconst subtract = require('../src/subtract.js');\nassert.strictEqual(subtract(7, 2), 5);\n";
const MULTIPLY_TEST = "const assert = require('node:assert');\nconst multiply = require('../src/multiply.js');\nassert.strictEqual(multiply(3, 4), 12, 'multiply(3, 4) should be 12');\n";

/** Scenario of the agent that gets it right first time. */
export const CAREFUL_AGENT = {
  steps: [
    { prompt: 'task> ' },
    { print: 'Reading the issue… I will add subtract() with a test.' },
    { write: { path: 'src/subtract.js', content: 'module.exports = (a, b) => a - b;\n' } },
    { write: { path: 'test/subtract.test.js', content: SUBTRACT_TEST } },
    { commit: 'Add subtract() with a test' },
    { print: 'Committed. Waiting for review.' },
    { idle: true },
  ],
};

/** Scenario of the agent whose first attempt fails CI and which fixes it when told. */
export const HASTY_AGENT = {
  steps: [
    { prompt: 'task> ' },
    { print: 'On it: multiply() coming up.' },
    { write: { path: 'src/multiply.js', content: 'module.exports = (a, b) => a + b; // oops\n' } },
    { write: { path: 'test/multiply.test.js', content: MULTIPLY_TEST } },
    { commit: 'Add multiply() with a test' },
    { print: 'Committed. Waiting for feedback.' },
    { prompt: '> ' },
    { print: 'CI says multiply is wrong; fixing it.' },
    { write: { path: 'src/multiply.js', content: 'module.exports = (a, b) => a * b;\n' } },
    { commit: 'Fix multiply(): multiply instead of adding' },
    { print: 'Fixed and committed.' },
    { idle: true },
  ],
};

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-C', cwd, ...args], { stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 'ao demo', GIT_AUTHOR_EMAIL: 'demo@ao.invalid', GIT_COMMITTER_NAME: 'ao demo', GIT_COMMITTER_EMAIL: 'demo@ao.invalid' } });
}

export function writeDemoFixture(root: string, fakeAgent: readonly string[]): DemoFixture {
  const repo = join(root, 'calc');
  const home = join(root, 'ao-home');
  for (const [path, content] of Object.entries(FILES)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  git(repo, 'config', 'user.name', 'ao demo');
  git(repo, 'config', 'user.email', 'demo@ao.invalid');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'calc: add()');
  writeFileSync(join(root, 'careful.json'), JSON.stringify(CAREFUL_AGENT, null, 2));
  writeFileSync(join(root, 'hasty.json'), JSON.stringify(HASTY_AGENT, null, 2));
  const agent = (scenario: string) => JSON.stringify([...fakeAgent, '--scenario', join(root, scenario), '--name', scenario.replace('.json', '')]);
  const config = join(repo, 'agent-orchestrator.yaml');
  writeFileSync(
    config,
    `# Written by \`ao demo\`: two scripted agents, local issues, local PRs and CI, merged on approval.
defaults:
  agent: careful
  notifiers: [console]
projects:
  calc:
    path: .
    defaultBranch: main
    scm: { plugin: local, ci: ["node", "run-tests.js"] }
agents:
  careful: { command: ${agent('careful.json')}, prompt: arg }
  hasty: { command: ${agent('hasty.json')}, prompt: arg }
autonomy: autopilot
lifecycle:
  pollIntervalMs: 1000
orchestrator:
  enabled: false
dashboard:
  host: 127.0.0.1
  port: 0
`,
  );
  return { repo, home, config };
}
