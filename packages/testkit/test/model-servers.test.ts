import { afterEach, describe, expect, it } from 'vitest';
import { startAnthropicServer, startChatCompletionsServer, startResponsesServer, type ModelServer, type ModelTurn } from '../src/model-servers/index.js';

const servers: ModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function started(server: Promise<ModelServer>): Promise<ModelServer> {
  const s = await server;
  servers.push(s);
  return s;
}

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The `data:` payloads of an SSE body, parsed (`[DONE]` kept as a string). */
function events(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6))
    .map((d) => (d === '[DONE]' ? d : (JSON.parse(d) as unknown)));
}

const reply = (turn: ModelTurn) => (turn.toolResults.length ? { text: `got ${turn.toolResults[0]?.output}` } : { text: `echo ${turn.newUserText}`, toolCalls: [{ name: 'Bash', input: { command: 'ls' } }] });

describe('scripted model servers over real HTTP', () => {
  it('Anthropic Messages: JSON and streamed replies, count_tokens, and a 404 for anything else', async () => {
    const s = await started(startAnthropicServer(reply));
    const plain = (await (await post(`${s.url}/v1/messages`, { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [{ name: 'Bash' }] })).json()) as { content: { type: string; text?: string; name?: string }[]; stop_reason: string };
    expect(plain.content.map((c) => c.text ?? c.name)).toEqual(['echo hi', 'Bash']);
    expect(plain.stop_reason).toBe('tool_use');
    const streamed = await post(`${s.url}/v1/messages`, { model: 'm', stream: true, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'files' }] }] });
    expect(streamed.headers.get('content-type')).toBe('text/event-stream');
    const types = events(await streamed.text()).map((e) => (e as { type: string }).type);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(s.turns.map((t) => [t.newUserText, t.toolResults.map((r) => r.output)])).toEqual([['hi', []], ['', ['files']]]);
    expect(((await (await post(`${s.url}/v1/messages/count_tokens`, { messages: ['x'] })).json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    expect((await fetch(`${s.url}/v1/models`)).status).toBe(404);
  });

  it('Chat Completions: streamed chunks end in [DONE]; GET /v1/models lists a model', async () => {
    const s = await started(startChatCompletionsServer(reply));
    const streamed = events(await (await post(`${s.url}/v1/chat/completions`, { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })).text());
    expect(streamed.at(-1)).toBe('[DONE]');
    const plain = (await (await post(`${s.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: null }, { role: 'tool', tool_call_id: 'c1', content: 'files' }] })).json()) as { choices: { message: { content: string } }[] };
    expect(plain.choices[0]?.message.content).toBe('got files');
    expect(((await (await fetch(`${s.url}/v1/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(['scripted']);
    expect((await post(`${s.url}/v1/responses`, {})).status).toBe(404);
  });

  it('Responses: streamed events end in response.completed; GET /v1/models answers; waitForTurn sees the turn', async () => {
    const s = await started(startResponsesServer(reply));
    const streamed = events(await (await post(`${s.url}/v1/responses`, { model: 'm', stream: true, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] })).text());
    expect((streamed.at(-1) as { type: string }).type).toBe('response.completed');
    expect((await s.waitForTurn((t) => t.newUserText === 'hi')).index).toBe(0);
    expect((await fetch(`${s.url}/v1/models`)).status).toBe(200);
    expect((await post(`${s.url}/v1/chat/completions`, {})).status).toBe(404);
  });
});
