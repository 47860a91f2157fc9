/**
 * The MCP tools for agents that talk to each other: `send_message` (to a session or a crew),
 * `list_crew` and `crew_log`. The sender is this server's session (`AO_SESSION_ID`, inherited
 * from the agent that started `ao mcp`, or the session whose workspace it runs in), never an
 * argument: a model cannot sign as another.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AoError, createCrewStore, HUMAN_SENDER, messageSender, sendCrewMessage, sendSessionMessage, systemClock, z, type AoPaths, type SessionManager, type SessionStore } from '@ao/core';

export interface MessageToolsContext {
  manager: SessionManager;
  store: SessionStore;
  paths: AoPaths;
  /** Wraps a tool body: its value as text, an ao error as a tool error with its code. */
  tool: <A>(fn: (args: A) => Promise<unknown>) => (args: A) => Promise<CallToolResult>;
  /** Wakes the daemon after a delivery. */
  notify: (reason: string) => Promise<void>;
}

export function registerMessageTools(server: McpServer, ctx: MessageToolsContext): void {
  const { manager, store, tool } = ctx;
  const crews = createCrewStore({ paths: ctx.paths, clock: systemClock });
  const deps = { manager, store, crews, clock: systemClock };

  server.registerTool(
    'send_message',
    {
      description:
        'Message another session (by id) or your crew (by name; every member but you). It arrives in their agent as one submission, prefixed "[from <your session>]", and is logged on both sessions. A session waiting on a menu is not typed into: the message is refused for it.',
      inputSchema: {
        session: z.string().optional().describe('the session id to write to'),
        crew: z.string().optional().describe('the crew name to write to'),
        text: z.string().min(1),
      },
    },
    tool(async (a: { session?: string; crew?: string; text: string }) => {
      if (Boolean(a.session) === Boolean(a.crew)) throw new AoError('USAGE', 'Name exactly one recipient: `session` (a session id) or `crew` (a crew name).', { exitCode: 2 });
      const from = await messageSender(store, process.env, { cwd: process.cwd() });
      if (a.session) {
        const sent = await sendSessionMessage(deps, { from, to: a.session, text: a.text });
        await ctx.notify(`message ${from} → ${a.session} (mcp)`);
        return { delivered: [sent.to], refused: [] };
      }
      const message = await sendCrewMessage(deps, { from, crew: a.crew as string, text: a.text });
      if (message.delivered.length) await ctx.notify(`crew ${message.id} (mcp)`);
      return { delivered: message.delivered, refused: message.refused };
    }),
  );

  server.registerTool(
    'list_crew',
    {
      description: "A crew's goal and members with their status; without a name, the crews you are in (or every crew, outside a session).",
      inputSchema: { name: z.string().optional() },
    },
    tool(async (a: { name?: string }) => {
      const me = await messageSender(store, process.env, { cwd: process.cwd() });
      const { crews: all } = await crews.list();
      const chosen = a.name ? [await crews.get(a.name)] : all.filter((c) => me === HUMAN_SENDER || c.members.includes(me));
      return Promise.all(
        chosen.map(async (c) => ({
          name: c.name,
          goal: c.goal,
          messages: c.log.length,
          members: await Promise.all(
            c.members.map(async (id) => {
              const s = await store.find(id).catch(() => undefined);
              return { id, status: s?.status ?? 'gone', activity: s?.activity ?? null, issue: s?.issue ?? null, branch: s?.branch ?? null };
            }),
          ),
        })),
      );
    }),
  );

  server.registerTool(
    'crew_log',
    {
      description: "A crew's message log, oldest first: who wrote what, who got it and who did not.",
      inputSchema: { name: z.string(), last: z.number().int().positive().max(500).optional().describe('the last N messages (default 50)') },
    },
    tool(async (a: { name: string; last?: number }) => (await crews.get(a.name)).log.slice(-(a.last ?? 50))),
  );
}
