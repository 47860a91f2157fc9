/**
 * A scripted OpenAI Responses API (`POST /v1/responses`, streaming SSE), as Codex speaks it.
 * Point Codex at it with a `model_providers` entry in `config.toml`:
 * `base_url = "<server.url>/v1"`, `wire_api = "responses"`.
 */
import type { ServerResponse } from 'node:http';
import { contentText, json, nextId, roughTokens, sse, startModelServer, startSse } from './server.js';
import type { ModelScript, ModelServer, ModelTurn, Obj, ScriptedReply, ToolResult } from './server.js';

function parse(path: string, body: Obj, index: number): ModelTurn {
  const input = Array.isArray(body.input) ? (body.input as Obj[]) : [];
  const isOutput = (item: Obj | undefined) => item?.type === 'function_call_output' || item?.type === 'custom_tool_call_output';
  // The tool results that end the input answer the previous response's calls.
  const toolResults: ToolResult[] = [];
  for (let i = input.length - 1; i >= 0 && isOutput(input[i]); i--) {
    const item = input[i] ?? {};
    const output = typeof item.output === 'string' ? item.output : contentText((item.output as Obj | undefined)?.content ?? item.output);
    toolResults.unshift({ callId: String(item.call_id), output, isError: false });
  }
  let lastUserText = '';
  let newUserText = '';
  let modelSpoke = false;
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i] ?? {};
    if (item.role === 'assistant' || item.type === 'function_call' || item.type === 'custom_tool_call') modelSpoke = true;
    if (item.role !== 'user' || (item.type !== 'message' && item.type !== undefined)) continue;
    const text = contentText(item.content);
    // Codex sends its environment context and instructions as user messages too.
    if (text.trim() !== '' && !/^\s*<(environment_context|user_instructions|permissions)/.test(text)) {
      lastUserText = text;
      if (!modelSpoke) newUserText = text;
      break;
    }
  }
  const tools = Array.isArray(body.tools) ? (body.tools as Obj[]).map((t) => String(t.name ?? t.type)) : [];
  return { path, model: String(body.model ?? ''), tools, lastUserText, newUserText, toolResults, index, body };
}

function write(res: ServerResponse, turn: ModelTurn, reply: ScriptedReply): void {
  const id = nextId('resp_');
  const items: Obj[] = [];
  if (reply.text !== undefined) {
    items.push({ type: 'message', id: nextId('msg_'), role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: reply.text, annotations: [] }] });
  }
  for (const call of reply.toolCalls ?? []) {
    items.push({ type: 'function_call', id: nextId('fc_'), call_id: nextId('call_'), name: call.name, arguments: JSON.stringify(call.input), status: 'completed' });
  }
  const inputTokens = roughTokens(turn.body.input);
  const outputTokens = roughTokens(items);
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
  const response = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model: turn.model, status: 'in_progress', output: [] as Obj[] };
  if (turn.body.stream !== true) {
    json(res, 200, { ...response, status: 'completed', output: items, usage });
    return;
  }
  startSse(res);
  let seq = 0;
  const send = (data: Obj) => sse(res, { ...data, sequence_number: seq++ }, String(data.type));
  send({ type: 'response.created', response });
  items.forEach((item, output_index) => {
    send({ type: 'response.output_item.added', output_index, item: item.type === 'message' ? { ...item, content: [] } : { ...item, arguments: '' } });
    if (item.type === 'message') {
      const text = reply.text ?? '';
      send({ type: 'response.output_text.delta', item_id: item.id, output_index, content_index: 0, delta: text });
      send({ type: 'response.output_text.done', item_id: item.id, output_index, content_index: 0, text });
    } else {
      send({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index, delta: item.arguments });
      send({ type: 'response.function_call_arguments.done', item_id: item.id, output_index, arguments: item.arguments });
    }
    send({ type: 'response.output_item.done', output_index, item });
  });
  send({ type: 'response.completed', response: { ...response, status: 'completed', output: items, usage } });
  res.end();
}

/** Starts a scripted OpenAI Responses server on 127.0.0.1 (base URL for clients: `${url}/v1`). */
export function startResponsesServer(script: ModelScript): Promise<ModelServer> {
  return startModelServer(
    { path: /\/responses$/, parse, write, routes: [{ method: 'GET', path: /\/models$/, answer: () => ({ object: 'list', data: [], models: [] }) }] },
    script,
  );
}
