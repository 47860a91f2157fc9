/**
 * `ao-fake-agent [--scenario FILE] [--log FILE] [--name NAME] [prompt...]`
 * The entry of the fake agent binary: parses argv (and AO_FAKE_SCENARIO / AO_FAKE_LOG), runs the
 * agent on this process's terminal and exits with its code. See scenario.ts for scenarios.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runFakeAgent } from './agent.js';
import { parseScenario, type FakeAgentScenario } from './scenario.js';

const USAGE = `usage: ao-fake-agent [--scenario FILE] [--log FILE] [--name NAME] [prompt...]
  --scenario FILE  YAML/JSON steps to play (env AO_FAKE_SCENARIO); without one, an echo agent
  --log FILE       append JSON lines of what happened (env AO_FAKE_LOG)
  --name NAME      name shown in the banner and the log
  prompt           treated as the first message received`;

function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

async function main(): Promise<void> {
  let values: { scenario?: string | boolean; log?: string | boolean; name?: string | boolean; help?: string | boolean };
  let positionals: string[];
  try {
    // Lenient: agent plugins may pass flags meant for real agents; unknown flags are ignored.
    ({ values, positionals } = parseArgs({
      args: process.argv.slice(2),
      options: {
        scenario: { type: 'string', short: 's' },
        log: { type: 'string', short: 'l' },
        name: { type: 'string', short: 'n' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return exitAfterFlush(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return exitAfterFlush(0);
  }
  const asString = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const scenarioFile = asString(values.scenario) ?? asString(process.env.AO_FAKE_SCENARIO);
  const logFile = asString(values.log) ?? asString(process.env.AO_FAKE_LOG);
  const name = asString(values.name);

  let scenario: FakeAgentScenario | undefined;
  if (scenarioFile) {
    try {
      scenario = parseScenario(readFileSync(resolve(scenarioFile), 'utf8'), scenarioFile);
    } catch (error) {
      process.stderr.write(`ao-fake-agent: ${(error as Error).message}\n`);
      return exitAfterFlush(2);
    }
  }

  // tmux kill-session sends SIGHUP: record the exit so tests can tell "killed" from "crashed".
  for (const signal of ['SIGHUP', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (logFile) {
        appendFileSync(logFile, `${JSON.stringify({ ts: Date.now(), type: 'exited', name: name ?? 'fake-agent', signal })}\n`);
      }
      process.exit(signal === 'SIGHUP' ? 129 : 143);
    });
  }

  const prompt = positionals.join(' ');
  const code = await runFakeAgent({
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    ...(scenario ? { scenario } : {}),
    ...(prompt ? { prompt } : {}),
    ...(name ? { name } : {}),
    ...(logFile ? { logFile } : {}),
  });
  exitAfterFlush(code);
}

main().catch((error: unknown) => {
  process.stderr.write(`ao-fake-agent: ${(error as Error).stack ?? String(error)}\n`);
  exitAfterFlush(1);
});
