/**
 * A scripted OpenAI Chat Completions API (`POST /v1/chat/completions`, streaming `data:` chunks
 * ending in `[DONE]`), as OpenCode's OpenAI-compatible providers speak it. Point OpenCode at it
 * with a provider in `opencode.json`: `"options": { "baseURL": "<server.url>/v1" }`.
 */
import type { ServerResponse } from 'node:http';
import { contentText, json, nextId, roughTokens, sse, startModelServer, startSse } from './server.js';
import type { ModelScript, ModelServer, ModelTurn, Obj, ScriptedReply, ToolResult } from './server.js';

function parse(path: string, body: Obj, index: number): ModelTurn {
  const messages = Array.isArray(body.messages) ? (body.messages as Obj[]) : [];
  const toolResults: ToolResult[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i]?.role === 'tool'; i--) {
    const m = messages[i] ?? {};
    toolResults.unshift({ callId: String(m.tool_call_id), output: contentText(m.content), isError: false });
  }
  let lastUserText = '';
  let newUserText = '';
  let modelSpoke = false;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] ?? {};
    if (m.role === 'assistant' || m.role === 'tool') modelSpoke = true;
    if (m.role === 'user' && contentText(m.content).trim() !== '') {
      lastUserText = contentText(m.content);
      if (!modelSpoke) newUserText = lastUserText;
      break;
    }
  }
  const tools = Array.isArray(body.tools) ? (body.tools as Obj[]).map((t) => String((t.function as Obj | undefined)?.name ?? t.name)) : [];
  return { path, model: String(body.model ?? ''), tools, lastUserText, newUserText, toolResults, index, body };
}

function write(res: ServerResponse, turn: ModelTurn, reply: ScriptedReply): void {
  const id = nextId('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  const calls = (reply.toolCalls ?? []).map((call, index) => ({ index, id: nextId('call_'), type: 'function', function: { name: call.name, arguments: JSON.stringify(call.input) } }));
  const finish = calls.length ? 'tool_calls' : 'stop';
  const promptTokens = roughTokens(turn.body.messages);
  const completionTokens = roughTokens([reply.text, calls]);
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const base = { id, object: 'chat.completion.chunk', created, model: turn.model };
  if (turn.body.stream !== true) {
    const message: Obj = { role: 'assistant', content: reply.text ?? null };
    if (calls.length) message.tool_calls = calls.map(({ index: _index, ...call }) => call);
    json(res, 200, { id, object: 'chat.completion', created, model: turn.model, choices: [{ index: 0, message, finish_reason: finish }], usage });
    return;
  }
  startSse(res);
  sse(res, { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  if (reply.text !== undefined) sse(res, { ...base, choices: [{ index: 0, delta: { content: reply.text }, finish_reason: null }] });
  for (const call of calls) sse(res, { ...base, choices: [{ index: 0, delta: { tool_calls: [call] }, finish_reason: null }] });
  sse(res, { ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }], usage });
  sse(res, '[DONE]');
  res.end();
}

/** Starts a scripted Chat Completions server on 127.0.0.1 (base URL for clients: `${url}/v1`). */
export function startChatCompletionsServer(script: ModelScript): Promise<ModelServer> {
  return startModelServer(
    { path: /\/chat\/completions$/, parse, write, routes: [{ method: 'GET', path: /\/models$/, answer: () => ({ object: 'list', data: [{ id: 'scripted', object: 'model', owned_by: 'ao' }] }) }] },
    script,
  );
}
