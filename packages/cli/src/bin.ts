// The `ao` entry point. Only commander (and the tiny render helpers) is imported eagerly; every command's code (and @ao/core,
// yaml, zod, plugins) loads when that command runs, which keeps `ao --help` fast.
import { Command, CommanderError, Option } from 'commander';
import type { GlobalOptions } from './context.js';
import { handleBrokenPipes } from './render.js';

const program = new Command();
program
  .name('ao')
  .description('Agent Orchestrator: run many AI coding agents in parallel, from issue to merged change')
  .version(typeof __AO_VERSION__ === 'string' ? __AO_VERSION__ : '0.0.0-dev', '-V, --version', 'print the version')
  .option('-c, --config <file>', 'use this agent-orchestrator.yaml instead of searching up from cwd')
  .option('-v, --verbose', 'print the cause of errors')
  .showHelpAfterError('(run ao --help for usage)')
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(str) });

type Runner = (args: unknown[], globals: GlobalOptions) => Promise<number | void>;

/** Wires a command to a lazily imported module's `run(args, globals)` (or another export). */
function lazy<M>(load: () => Promise<M>, pick: (m: M) => Runner = (m) => (m as { run: Runner }).run) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    const code = await pick(await load())(args.slice(0, -1), globals);
    if (typeof code === 'number') process.exitCode = code;
  };
}
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

program
  .command('init')
  .description('write agent-orchestrator.yaml for the git repository in cwd')
  .option('--auto', 'accept detected defaults without asking')
  .option('-f, --force', 'overwrite an existing config')
  .action(lazy(() => import('./commands/init.js')));

program
  .command('doctor')
  .description('check git, tmux, node, agent CLIs, the config and the data dir')
  .action(lazy(() => import('./commands/doctor.js')));

program
  .command('spawn')
  .description('start an agent on an issue or a prompt, in its own workspace and terminal; prints the session id')
  .argument('[issue]', 'tracker issue id')
  .option('-a, --agent <name>', 'agent to use (a built-in or a key of agents:)')
  .option('-p, --prompt <text>', 'what to do (alone, or added to the issue)')
  .option('--project <name>', 'project from the config (default: the one containing cwd)')
  .option('--json', 'print the session as JSON')
  .option('--priority <n>', 'queue priority, 1 (lowest) to 10 (highest)', '5')
  .option('--no-queue', 'refuse (SESSION_LIMIT) instead of queueing when the limits are reached')
  .action(lazy(() => import('./commands/spawn.js')));

program
  .command('batch-spawn')
  .description('spawn a session per issue in parallel, bounded by limits.maxConcurrentSessions; the rest are queued')
  .argument('[issues...]', 'tracker issue ids')
  .option('-l, --label <label>', 'also spawn every open issue with this label (in the project\'s tracker)')
  .option('-a, --agent <name>', 'agent to use')
  .option('--project <name>', 'project from the config')
  .option('--json', 'print results as JSON')
  .option('--priority <n>', 'queue priority of the ones that wait, 1 (lowest) to 10 (highest)', '5')
  .option('--no-queue', 'report issues beyond the limit as not spawned instead of queueing them')
  .action(lazy(() => import('./commands/batch-spawn.js')));

program
  .command('send')
  .description('send a message to a session, delivered literally as one submission; while the agent waits on a menu, the message is the answer (a number, shortcut or label)')
  .argument('<session>', 'session id')
  .argument('[message...]', 'the message (or - to read stdin); with --keys, the keys')
  .option('-f, --file <file>', 'read the message from a file (- for stdin)')
  .option('-k, --keys', 'send the arguments as raw keys, no Enter added: single characters or Enter, Escape, Tab, Space, Backspace, Up, Down, Left, Right, C-c')
  .action(lazy(() => import('./commands/send.js')));

program
  .command('status')
  .description('one table of all sessions: status, activity, branch, PR, age, last event, and what needs you')
  .option('--json', 'print the sessions as JSON')
  .option('--attention', 'only the sessions that need a human, and why; exit 1 when any does')
  .option('--project <name>', 'only this project')
  .action(lazy(() => import('./commands/status.js')));

program
  .command('watch')
  .description('a live feed of what needs you and what ao does, until Ctrl-C (works with or without the daemon)')
  .action(lazy(() => import('./commands/watch.js')));

const session = program.command('session').description('list, attach, kill, restore and clean up sessions');
session
  .command('ls')
  .description('list sessions')
  .option('--json', 'print the sessions as JSON (the machine contract)')
  .option('--project <name>', 'only this project')
  .action(lazy(() => import('./commands/status.js')));
session
  .command('attach')
  .description("attach your terminal to the session's terminal")
  .argument('<session>', 'session id')
  .action(lazy(() => import('./commands/session.js'), (m) => m.attach));
session
  .command('kill')
  .description('stop the agent; its workspace and branch are kept')
  .argument('<session>', 'session id')
  .action(lazy(() => import('./commands/session.js'), (m) => m.kill));
session
  .command('restore')
  .description('relaunch an exited agent in the same workspace and branch (queued beyond the limits)')
  .argument('<session>', 'session id')
  .option('--priority <n>', 'queue priority when it waits, 1 (lowest) to 10 (highest)', '5')
  .option('--no-queue', 'refuse (SESSION_LIMIT) instead of queueing when the limits are reached')
  .action(lazy(() => import('./commands/session.js'), (m) => m.restore));
session
  .command('cleanup')
  .description('remove workspaces of finished sessions that are clean; list the rest with why')
  .option('-n, --dry-run', 'only say what would be removed')
  .option('--force-ignored', 'also remove workspaces holding gitignored files (listed otherwise)')
  .option('--project <name>', 'only this project')
  .option('--json', 'print the result as JSON')
  .action(lazy(() => import('./commands/session.js'), (m) => m.cleanup));
session
  .command('events')
  .description("print a session's event log")
  .argument('<session>', 'session id')
  .option('-f, --follow', 'keep printing new events')
  .option('--json', 'one JSON object per line')
  .action(lazy(() => import('./commands/session.js'), (m) => m.events));

session
  .command('trace')
  .description("the conversation from the agent's own log: prompts, replies, tool calls and results, reasoning")
  .argument('<id>', 'session id')
  .option('-f, --follow', 'keep printing what the agent writes until the session ends')
  .option('--json', 'print entries as JSON (an array; one per line with --follow)')
  .action(lazy(() => import('./commands/trace.js')));

program
  .command('cost')
  .description('tokens and cost per session, per issue, per plan and in total, from the agents\' own logs')
  .option('--since <when>', 'only what was used since: a duration (30m, 24h, 7d, 2w) or a date')
  .option('--project <name>', 'only this project')
  .option('--json', 'print { since, sessions, issues, plans, total } as JSON')
  .action(lazy(() => import('./commands/cost.js')));

program
  .command('mcp')
  .description('serve ao over the Model Context Protocol on stdio (for agents: spawn, status, send, answer, approve, plans)')
  .option('--worker', "only the tools a worker session may have: send_message (to a session or a crew), list_crew, crew_log")
  .action(lazy(() => import('./commands/mcp.js')));

const queue = program.command('queue').description('work waiting for a slot; the daemon admits it by priority');
queue
  .command('ls')
  .description('queued sessions in admission order, with what each waits for')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/queue.js'), (m) => m.list));
queue
  .command('rm')
  .description('take a queued session out of the queue')
  .argument('<session>', 'session id')
  .action(lazy(() => import('./commands/queue.js'), (m) => m.remove));
queue
  .command('move')
  .description("change a queued session's priority")
  .argument('<session>', 'session id')
  .requiredOption('--priority <n>', '1 (lowest) to 10 (highest)')
  .action(lazy(() => import('./commands/queue.js'), (m) => m.move));

const plan = program.command('plan').description('plans: DAGs of agent work whose steps the daemon queues as their dependencies finish');
plan
  .command('run')
  .description('validate a plan file, store it and queue its first steps; prints the plan id')
  .argument('<file>', 'plan file (YAML, see docs/plans.md)')
  .option('-n, --dry-run', 'only validate and print the order')
  .option('--json', 'print the plan as JSON')
  .action(lazy(() => import('./commands/plan.js'), (m) => m.run));
plan
  .command('ls')
  .description('list plans')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/plan.js'), (m) => m.list));
plan
  .command('show')
  .description("each step's state and sessions")
  .argument('<plan>', 'plan id')
  .option('--json', 'print JSON')
  .option('--context', 'also the context now and the snapshot each step start saw')
  .action(lazy(() => import('./commands/plan.js'), (m) => m.show));
plan
  .command('cancel')
  .description('cancel pending steps, take queued ones out of the queue, stop running ones (work kept)')
  .argument('<plan>', 'plan id')
  .action(lazy(() => import('./commands/plan.js'), (m) => m.cancel));
plan
  .command('ctx')
  .description("the plan's shared context")
  .command('set')
  .description('set a context key; steps started from now on see it')
  .argument('<plan>', 'plan id')
  .argument('<key>', 'key')
  .argument('<value>', 'value')
  .action(lazy(() => import('./commands/plan.js'), (m) => m.ctxSet));

const trigger = program.command('trigger').description('work that starts by itself: triggers: in the config (cron, tracker events)');
trigger
  .command('ls')
  .description('every trigger with its next run and last outcome')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/trigger.js'), (m) => m.list));
trigger
  .command('run')
  .description('fire a trigger now (its work is queued)')
  .argument('<id>', 'trigger id')
  .action(lazy(() => import('./commands/trigger.js'), (m) => m.run));

const template = program.command('template').description('versioned prompt templates (issue, task): version 1 is the config\'s');
template
  .command('ls')
  .description('each template\'s versions, the current one marked')
  .option('--project <name>', 'whose config gives version 1')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/template.js'), (m) => m.list));
template
  .command('show')
  .description('print a template: <name> (current) or <name>@<version>')
  .argument('<template>', 'issue | task, optionally @<version>')
  .option('--project <name>', 'whose config gives version 1')
  .action(lazy(() => import('./commands/template.js'), (m) => m.show));
template
  .command('set')
  .description('add a new version and make it current')
  .argument('<name>', 'issue | task')
  .requiredOption('-f, --file <file>', 'the new text (- for stdin)')
  .action(lazy(() => import('./commands/template.js'), (m) => m.set));
template
  .command('rollback')
  .description('make an earlier version current (default: the one before)')
  .argument('<name>', 'issue | task')
  .argument('[version]', 'version number')
  .action(lazy(() => import('./commands/template.js'), (m) => m.rollback));
template
  .command('diff')
  .description('lines changed between two versions')
  .argument('<name>', 'issue | task')
  .argument('<v1>', 'version')
  .argument('<v2>', 'version')
  .option('--project <name>', 'whose config gives version 1')
  .action(lazy(() => import('./commands/template.js'), (m) => m.diff));

const issue = program.command('issue').description("issues of the project's tracker (local: .ao/issues/, or GitHub)");
issue
  .command('new')
  .description('create an issue; prints its id')
  .argument('<title>', 'issue title')
  .option('-b, --body <text>', 'issue body (markdown)')
  .option('-l, --label <label>', 'label (repeatable)', collect)
  .option('--project <name>', 'project from the config')
  .option('--json', 'print the issue as JSON')
  .action(lazy(() => import('./commands/issue.js'), (m) => m.create));
issue
  .command('ls')
  .description('list issues')
  .option('--state <state>', 'open | closed | all', 'open')
  .option('-l, --label <label>', 'only issues with this label (repeatable)', collect)
  .option('--project <name>', 'project from the config')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/issue.js'), (m) => m.list));

program
  .command('demo')
  .description('the whole loop on a throw-away repo with two scripted agents: issues, PRs, CI, fixes, reviews, merges')
  .option('--keep', 'keep the throw-away repo and data dir afterwards')
  .option('--timeout <seconds>', 'give up after this long', '90')
  .action(lazy(() => import('./commands/demo.js')));

program
  .command('start')
  .description('start the daemon (lifecycle loop + dashboard API) in the background, and an orchestrator agent session')
  .option('--no-orchestrator', 'do not start the orchestrator agent session')
  .addOption(new Option('--foreground', 'run the daemon in this process (for service managers)').hideHelp())
  .action(lazy(() => import('./commands/start.js')));

program
  .command('stop')
  .description('stop the daemon; tmux sessions and all workspaces keep running (process-runtime sessions: see --force)')
  .option('--force', 'stop even while sessions of the process runtime run in the daemon (they end; workspaces are kept)')
  .action(lazy(() => import('./commands/stop.js')));

const daemon = program.command('daemon').description('the background daemon');
daemon
  .command('status')
  .description('whether the daemon runs: pid, url, uptime, last lifecycle poll, orchestrator')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/daemon-status.js')));

program
  .command('dashboard')
  .description('print the dashboard URL (with its token), or open it in the browser')
  .option('--open', 'open it with xdg-open/open when there is a display')
  .action(lazy(() => import('./commands/dashboard.js')));

program
  .command('review')
  .description("review a session's pull request (local SCM): the lifecycle then merges (in copilot the approval is the consent) or sends the comments to the agent")
  .argument('<session>', 'session id')
  .argument('<decision>', 'approve | request-changes')
  .option('-m, --message <text>', 'review comment (sent to the agent on request-changes)')
  .option('--comment <file:line:text>', 'a comment on one line of the diff, sent to the agent with its file and line (repeatable)', collect)
  .action(lazy(() => import('./commands/review.js')));

const pr = program.command('pr').description('pull requests of sessions');
pr
  .command('open')
  .description("open the session's pull request now")
  .argument('<session>', 'session id')
  .option('--json', 'print the PR as JSON')
  .action(lazy(() => import('./commands/pr.js'), (m) => m.open));
pr
  .command('merge')
  .description("merge the session's pull request now, whatever the autonomy level (refuses failing CI or conflicts)")
  .argument('<session>', 'session id')
  .option('--force', 'merge even with failing CI or conflicts')
  .option('--method <method>', "merge | squash | rebase (default: the SCM's)")
  .option('--json', 'print the outcome as JSON')
  .action(lazy(() => import('./commands/pr.js'), (m) => m.merge));

const approvals = program.command('approvals').description('the approval queue of autonomy levels manual and copilot');
approvals
  .command('ls')
  .description('list approvals, newest first')
  .option('--status <status>', 'pending | approved | rejected | expired')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/approvals.js'), (m) => m.list));
approvals
  .command('approve')
  .description('approve and run the held action now')
  .argument('<id>', 'approval id (ap-…)')
  .option('-m, --message <text>', 'note kept with the approval')
  .action(lazy(() => import('./commands/approvals.js'), (m) => m.approve));
approvals
  .command('reject')
  .description('reject: the action never runs')
  .argument('<id>', 'approval id (ap-…)')
  .option('-m, --message <text>', 'why (kept with the approval)')
  .action(lazy(() => import('./commands/approvals.js'), (m) => m.reject));

const crew = program.command('crew').description('named groups of sessions sharing a goal and a message log; agents message them with the MCP tool send_message');
crew
  .command('create')
  .description('create a crew')
  .argument('<name>', 'crew name (letters, digits, . _ -)')
  .argument('[sessions...]', 'its first members')
  .requiredOption('-g, --goal <text>', 'what the crew is for')
  .option('--json', 'print the crew as JSON')
  .action(lazy(() => import('./commands/crew.js'), (m) => m.create));
crew
  .command('add')
  .description('add sessions to a crew')
  .argument('<name>', 'crew name')
  .argument('<sessions...>', 'session ids')
  .option('--json', 'print the crew as JSON')
  .action(lazy(() => import('./commands/crew.js'), (m) => m.add));
crew
  .command('rm')
  .description('remove sessions from a crew')
  .argument('<name>', 'crew name')
  .argument('<sessions...>', 'session ids')
  .option('--json', 'print the crew as JSON')
  .action(lazy(() => import('./commands/crew.js'), (m) => m.rm));
crew
  .command('ls')
  .description('list crews: members, messages, goal')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/crew.js'), (m) => m.ls));
crew
  .command('show')
  .description("a crew's goal, members (with status) and message log")
  .argument('<name>', 'crew name')
  .option('--last <n>', 'only the last N messages')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/crew.js'), (m) => m.show));
crew
  .command('send')
  .description('send a message to every member but the sender (the session it runs in, or "human"), prefixed with who wrote it; exit 1 when a member did not get it')
  .argument('<name>', 'crew name')
  .argument('<text...>', 'the message')
  .option('--json', 'print the logged message (who got it, who did not) as JSON')
  .action(lazy(() => import('./commands/crew.js'), (m) => m.send));

const lifecycle = program.command('lifecycle').description('the lifecycle loop the daemon runs');
lifecycle
  .command('poll')
  .description('run one lifecycle poll in the foreground: statuses, PRs, CI, reactions')
  .option('--json', 'print the poll summary as JSON')
  .action(lazy(() => import('./commands/lifecycle.js'), (m) => m.poll));

const config = program.command('config').description('inspect the configuration');
config
  .command('show')
  .description('print the resolved config, secrets masked')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/config-show.js')));

const agents = program.command('agents').description('the agent CLIs: installed, versions, health for unattended runs');
agents
  .command('ls')
  .description('list the agent CLIs: installed?, version found, version verified with, health (login or key, trust)')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/agents.js')));

const plugin = program.command('plugin').description('list and create plugins');
plugin
  .command('ls')
  .description('list built-in and external plugins')
  .option('--json', 'print JSON')
  .action(lazy(() => import('./commands/plugin-ls.js')));
plugin
  .command('create')
  .description('scaffold an external plugin in ./ao-plugin-<name>')
  .argument('<slot>', 'runtime | agent | workspace | tracker | scm | notifier | terminal')
  .argument('<name>', 'plugin name')
  .addOption(new Option('--dir <dir>', 'where to create it'))
  .action(lazy(() => import('./commands/plugin-create.js')));

program
  .command('completion')
  .description('print a shell completion script: source <(ao completion bash), or zsh, or fish')
  .argument('<shell>', 'bash | zsh | fish')
  .action(lazy(() => import('./commands/completion.js'), (m) => (args, globals) => m.run(args, globals, program)));

async function main(): Promise<void> {
  handleBrokenPipes();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" only to commander; nothing else needs loading for them.
      process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? 0 : 2;
      return;
    }
    const { handleError } = await import('./errors.js');
    process.exitCode = handleError(error, Boolean(program.opts<GlobalOptions>().verbose));
  }
}

await main();
