/**
 * A scripted Anthropic Messages API (`POST /v1/messages`, streaming SSE as Claude Code asks for
 * it, or one JSON message), plus `count_tokens`. Point Claude Code at it with
 * `ANTHROPIC_BASE_URL=<server.url>`.
 */
import type { ServerResponse } from 'node:http';
import { contentText, json, nextId, roughTokens, sse, startModelServer, startSse } from './server.js';
import type { ModelScript, ModelServer, ModelTurn, Obj, ScriptedReply, ToolResult } from './server.js';

/** Claude Code adds its context as `<system-reminder>` text in user messages: not the user's words. */
const userText = (content: unknown): string =>
  (typeof content === 'string' ? content : contentText((Array.isArray(content) ? (content as Obj[]) : []).filter((p) => p.type === 'text')))
    .replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '')
    .trim();

function parse(path: string, body: Obj, index: number): ModelTurn {
  // Claude Code 2.x appends `system` role messages (agent lists) after the user's.
  const messages = (Array.isArray(body.messages) ? (body.messages as Obj[]) : []).filter((m) => m.role !== 'system');
  let lastUserText = '';
  let toolResults: ToolResult[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] ?? {};
    if (m.role !== 'user') continue;
    const parts = Array.isArray(m.content) ? (m.content as Obj[]) : [];
    const results = parts.filter((p) => p.type === 'tool_result');
    if (i === messages.length - 1) {
      toolResults = results.map((r) => ({ callId: String(r.tool_use_id), output: contentText(r.content), isError: r.is_error === true }));
    }
    const text = userText(m.content);
    if (text !== '') {
      lastUserText = text;
      break;
    }
  }
  const last = messages[messages.length - 1];
  const newUserText = last?.role === 'user' ? userText(last.content) : '';
  const tools = Array.isArray(body.tools) ? (body.tools as Obj[]).map((t) => String(t.name)) : [];
  return { path, model: String(body.model ?? ''), tools, lastUserText, newUserText, toolResults, index, body };
}

function blocks(reply: ScriptedReply): Obj[] {
  const out: Obj[] = [];
  if (reply.text !== undefined) out.push({ type: 'text', text: reply.text });
  for (const call of reply.toolCalls ?? []) out.push({ type: 'tool_use', id: nextId('toolu_'), name: call.name, input: call.input });
  return out;
}

function write(res: ServerResponse, turn: ModelTurn, reply: ScriptedReply): void {
  const content = blocks(reply);
  const stopReason = reply.toolCalls?.length ? 'tool_use' : 'end_turn';
  const usage = { input_tokens: roughTokens(turn.body.messages), output_tokens: roughTokens(content), cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const message = { id: nextId('msg_'), type: 'message', role: 'assistant', model: turn.model, stop_sequence: null };
  if (turn.body.stream !== true) {
    json(res, 200, { ...message, content, stop_reason: stopReason, usage });
    return;
  }
  startSse(res);
  sse(res, { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } }, 'message_start');
  content.forEach((block, index) => {
    if (block.type === 'text') {
      sse(res, { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }, 'content_block_start');
      sse(res, { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } }, 'content_block_delta');
    } else {
      sse(res, { type: 'content_block_start', index, content_block: { ...block, input: {} } }, 'content_block_start');
      sse(res, { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } }, 'content_block_delta');
    }
    sse(res, { type: 'content_block_stop', index }, 'content_block_stop');
  });
  sse(res, { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }, 'message_delta');
  sse(res, { type: 'message_stop' }, 'message_stop');
  res.end();
}

/** Starts a scripted Anthropic Messages server on 127.0.0.1. */
export function startAnthropicServer(script: ModelScript): Promise<ModelServer> {
  return startModelServer(
    { path: /\/v1\/messages$/, parse, write, routes: [{ method: 'POST', path: /\/v1\/messages\/count_tokens$/, answer: (body) => ({ input_tokens: roughTokens(body.messages) }) }] },
    script,
  );
}
