/**
 * `ao mcp`: ao served over the Model Context Protocol on stdio, so an agent (the orchestrator
 * session, or any MCP client) drives ao with tools instead of shelling out: spawn, list, status,
 * events, send, answer, approvals, approve/reject, trace, cost, plans, and messages between
 * sessions and crews (`send_message`, `list_crew`, `crew_log`: see mcp-messages.ts). Every tool goes through
 * the same core paths as the CLI (the SessionManager, the LifecycleManager, the plan runner), so a
 * message sent here is delivered, logged and refused exactly as `ao send` would. stdout belongs to
 * the protocol: nothing else is printed there.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { attentionOf, costOfUsage, describeError, isAoError, parsePriority, readSessionTrace, systemClock, z, type Agent, type Session } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { loadSessions } from '../sessions.js';
import { notifyDaemon } from '@ao/daemon/client';
import { loadLifecycle } from './lifecycle.js';
import { registerMessageTools } from './mcp-messages.js';
import { loadPlans } from './plan.js';

/** The fields of a session an agent needs to follow it, with its cost priced now. */
function summary(s: Session, pricing: Parameters<typeof costOfUsage>[1]) {
  const { usageLogs: _cursors, ...rest } = s;
  return { ...rest, attention: attentionOf(s), cost: costOfUsage(s.usage, pricing) };
}

const ok = (value: unknown): CallToolResult => ({ content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }] });

/** An ao error as a tool error the model can read and act on: its code and what to do. */
function failed(error: unknown): CallToolResult {
  const text = isAoError(error) ? `${error.code}: ${error.message}` : describeError(error);
  return { isError: true, content: [{ type: 'text', text }] };
}

const tool =
  <A>(fn: (args: A) => Promise<unknown>) =>
  async (args: A): Promise<CallToolResult> => {
    try {
      return ok(await fn(args));
    } catch (error) {
      return failed(error);
    }
  };

/** Serves `server` on stdio until the client closes stdin. */
async function serve(server: McpServer): Promise<number> {
  await server.connect(new StdioServerTransport());
  await new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  await server.close();
  return 0;
}

/**
 * `ao mcp --worker`: only the messaging tools (send_message, list_crew, crew_log), for worker
 * sessions. Their agents pre-allow ao's tools (Claude's `--allowedTools mcp__ao`), so a worker must
 * not be handed spawn, send or approve: approving its own held actions would skip the human.
 */
async function serveWorker(globals: GlobalOptions): Promise<number> {
  const { manager, store, paths } = await loadSessions(globals);
  const server = new McpServer({ name: 'ao', version: __AO_VERSION__ });
  registerMessageTools(server, { manager, store, paths, tool, notify: (reason) => notifyDaemon(paths, reason) });
  return serve(server);
}

export async function run([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  if ((opts as { worker?: boolean } | undefined)?.worker) return serveWorker(globals);
  const cli = await loadLifecycle(globals);
  const { manager, plugins, store, config, paths, lifecycle } = cli;
  const pricing = config.parsed.pricing;
  const server = new McpServer({ name: 'ao', version: __AO_VERSION__ });
  // The workers it spawns get ao's server too, with the messaging tools only (see serveWorker), as
  // every worker does (the manager's workerMcpServers).
  const who = process.env.AO_SESSION_ID ? `session ${process.env.AO_SESSION_ID}` : 'mcp';

  server.registerTool(
    'spawn',
    {
      description: 'Start an agent session on an issue or a prompt, in its own workspace and branch. Returns the session (queued when the limits are full). The worker can message other sessions and crews (send_message); group workers with `ao crew create`.',
      inputSchema: {
        issue: z.string().optional().describe('tracker issue id'),
        prompt: z.string().optional().describe('the task, alone or added to the issue'),
        agent: z.string().optional().describe('agent name (default: the project\'s)'),
        project: z.string().optional().describe('project key from the config'),
        priority: z.number().int().min(1).max(10).optional().describe('queue priority, 10 first'),
      },
    },
    tool(async (a: { issue?: string; prompt?: string; agent?: string; project?: string; priority?: number }) => {
      const session = await manager.spawn({
        ...(a.issue ? { issue: a.issue } : {}),
        ...(a.prompt !== undefined ? { prompt: a.prompt } : {}),
        ...(a.agent ? { agent: a.agent } : {}),
        ...(a.project ? { project: a.project } : {}),
        priority: parsePriority(a.priority !== undefined ? String(a.priority) : undefined),
      });
      await notifyDaemon(paths, `spawn ${session.id} (mcp)`);
      return summary(session, pricing);
    }),
  );

  server.registerTool(
    'list',
    {
      description: 'Every session: id, issue, status, activity, branch, PR, tokens and cost, and what (if anything) needs a human.',
      inputSchema: { project: z.string().optional() },
    },
    tool(async (a: { project?: string }) => {
      const { sessions } = await manager.list({ ...(a.project ? { project: a.project } : {}), activity: true });
      return sessions.map((s) => {
        const x = summary(s, pricing);
        return { id: x.id, issue: x.issue, title: x.title, status: x.status, activity: x.activity, activityDetail: x.activityDetail, branch: x.branch, pr: x.pr, role: x.role ?? 'worker', attention: x.attention, tokens: x.usage ? x.usage.input + x.usage.output + x.usage.cacheRead + x.usage.cacheWrite : null, costUsd: x.cost.usd };
      });
    }),
  );

  server.registerTool(
    'status',
    { description: 'One session in full, with its activity read now.', inputSchema: { id: z.string().describe('session id') } },
    tool(async (a: { id: string }) => {
      const s = await manager.get(a.id);
      const { sessions } = await manager.list({ project: s.project, activity: true });
      return summary(sessions.find((x) => x.id === a.id) ?? s, pricing);
    }),
  );

  server.registerTool(
    'events',
    {
      description: "A session's event log, newest last: status and activity changes, messages delivered, PR and CI news.",
      inputSchema: { id: z.string(), limit: z.number().int().positive().max(500).optional().describe('the last N events (default 50)') },
    },
    tool(async (a: { id: string; limit?: number }) => {
      const s = await manager.get(a.id);
      const events = await store.events(s.project, s.id);
      return events.slice(-(a.limit ?? 50));
    }),
  );

  const deliver = async (id: string, message: string) => {
    const session = await manager.send(id, message);
    await notifyDaemon(paths, `send ${id} (mcp)`);
    return { delivered: true, session: session.id, activity: session.activity };
  };

  server.registerTool(
    'send',
    {
      description: 'Send a message to a session, delivered literally as one submission (as `ao send`). While the agent waits on a menu, the message is taken as the answer.',
      inputSchema: { id: z.string(), message: z.string().min(1) },
    },
    tool(async (a: { id: string; message: string }) => deliver(a.id, a.message)),
  );

  server.registerTool(
    'answer',
    {
      description: 'Answer the menu or question a session waits on: an option number, its shortcut or its label. An answer that names no option is refused with the options listed, and nothing is sent.',
      inputSchema: { id: z.string(), answer: z.string().min(1) },
    },
    tool(async (a: { id: string; answer: string }) => {
      const s = await manager.get(a.id);
      const { sessions } = await manager.list({ project: s.project, activity: true });
      const now = sessions.find((x) => x.id === a.id) ?? s;
      if (now.activity !== 'waiting_input') {
        return { delivered: false, reason: `${a.id} is not waiting for an answer (activity: ${now.activity ?? 'unknown'}); use send for a message` };
      }
      return deliver(a.id, a.answer);
    }),
  );

  server.registerTool(
    'approvals',
    { description: 'The approval queue (actions held for a human under autonomy manual/copilot).', inputSchema: { status: z.enum(['pending', 'approved', 'rejected', 'expired']).optional() } },
    tool(async (a: { status?: 'pending' | 'approved' | 'rejected' | 'expired' }) => (await lifecycle.approvals.list(a.status ? { status: a.status } : {})).approvals),
  );

  server.registerTool(
    'approve',
    { description: 'Approve a held action and run it now, exactly once.', inputSchema: { approvalId: z.string(), message: z.string().optional() } },
    tool(async (a: { approvalId: string; message?: string }) => {
      const approval = await lifecycle.approve(a.approvalId, { by: who, ...(a.message ? { message: a.message } : {}) });
      await notifyDaemon(paths, `approval ${approval.id} (mcp)`);
      return approval;
    }),
  );

  server.registerTool(
    'reject',
    { description: 'Reject a held action: nothing runs.', inputSchema: { approvalId: z.string(), message: z.string().optional() } },
    tool(async (a: { approvalId: string; message?: string }) => {
      const approval = await lifecycle.reject(a.approvalId, { by: who, ...(a.message ? { message: a.message } : {}) });
      await notifyDaemon(paths, `approval ${approval.id} (mcp)`);
      return approval;
    }),
  );

  server.registerTool(
    'trace',
    {
      description: "The conversation from a session's own agent log: prompts, replies, tool calls and results.",
      inputSchema: { id: z.string(), last: z.number().int().positive().max(500).optional().describe('the last N entries (default 30)') },
    },
    tool(async (a: { id: string; last?: number }) => {
      const s = await manager.get(a.id);
      const sel = config.agents[s.agent];
      const project = config.projects[s.project];
      if (!sel || !project) return [];
      const agent: Agent = await plugins.plugin(project, 'agent', sel);
      const trace = await readSessionTrace(agent, s, systemClock.now());
      return (trace?.entries ?? []).slice(-(a.last ?? 30));
    }),
  );

  server.registerTool(
    'plan_run',
    {
      description: 'Run a plan: a DAG of steps (YAML, as for `ao plan run`), each step a session queued once its dependencies finish.',
      inputSchema: { plan: z.string().min(1).describe('the plan file\'s YAML text'), dryRun: z.boolean().optional() },
    },
    tool(async (a: { plan: string; dryRun?: boolean }) => {
      const { runner } = await loadPlans(globals, cli);
      const { parsed, record } = await runner.run(a.plan, '<mcp plan>', { cwd: process.cwd(), dryRun: Boolean(a.dryRun) });
      if (!record) return { valid: true, name: parsed.plan.name, project: parsed.project, order: parsed.order };
      await notifyDaemon(paths, `plan ${record.id} (mcp)`);
      return record;
    }),
  );

  server.registerTool(
    'plan_list',
    { description: 'Plans and the state of their steps.', inputSchema: {} },
    tool(async () => {
      const { plans } = await loadPlans(globals, cli);
      return (await plans.list()).plans;
    }),
  );

  registerMessageTools(server, { manager, store, paths, tool, notify: (reason) => notifyDaemon(paths, reason) });
  return serve(server);
}
