// The scripted model server of the chat's tests (build/tests/model-server,
// tests/lib/model_server.c) read by the official openai package: if the
// client that real applications use assembles its stream into the text,
// tool calls, finish reason and usage we scripted, the chat's integration
// tests run against the real Chat Completions wire format.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import OpenAI from 'openai';

const bin = process.env.MODEL_SERVER ?? '../../build/tests/model-server';
const steps = [
  { text: 'Héllo — you logged 7.5 hours this week.' },
  {
    text: 'Let me check.',
    tool_calls: [
      { name: 'find_work_items', arguments: '{"query":"acme onboarding","types":["task"]}' },
      { name: 'log_time_entry', arguments: '{"entity_type":"task","entity_id":"tsk_1","hours":2,"log_date":"2026-11-24"}' },
    ],
  },
  { status: 500 },
];
let server;
let client;

before(async () => {
  server = spawn(bin, ['0', ...steps.map((s) => JSON.stringify(s))], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await once(server.stdout, 'data');
  const port = /ready (\d+)/.exec(String(line))[1];
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-test', maxRetries: 0 });
});

after(() => server.stdin.end());

test('a text answer streams as chat.completion.chunk events ending in [DONE]', async () => {
  const stream = await client.chat.completions.create({
    model: 'scripted', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'How many hours?' }],
  });
  let text = '';
  let finish;
  let usage;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta.content ?? '';
    finish = choice.finish_reason ?? finish;
  }
  assert.equal(text, steps[0].text);
  assert.ok(chunks > 4, 'the text came in pieces');
  assert.equal(finish, 'stop');
  assert.deepEqual(usage, { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 });
});

test('tool calls split across deltas are assembled by the client library', async () => {
  const runner = client.beta.chat.completions.stream({
    model: 'scripted',
    messages: [{ role: 'user', content: 'Log 2 h on Acme onboarding' }],
    tools: [{ type: 'function', function: { name: 'find_work_items', parameters: { type: 'object' } } }],
  });
  const pieces = [];
  runner.on('chunk', (c) => c.choices[0]?.delta?.tool_calls && pieces.push(c));
  const done = await runner.finalChatCompletion();
  const message = done.choices[0].message;
  assert.equal(done.choices[0].finish_reason, 'tool_calls');
  assert.equal(message.content, 'Let me check.');
  assert.equal(message.tool_calls.length, 2);
  steps[1].tool_calls.forEach((want, i) => {
    assert.equal(message.tool_calls[i].type, 'function');
    assert.match(message.tool_calls[i].id, /^call_/);
    assert.equal(message.tool_calls[i].function.name, want.name);
    assert.equal(message.tool_calls[i].function.arguments, want.arguments);
    assert.deepEqual(JSON.parse(message.tool_calls[i].function.arguments), JSON.parse(want.arguments));
  });
  assert.ok(pieces.length >= 6, `each call came as several deltas (${pieces.length})`);
});

test('an error status reaches the client as an APIError with the provider message', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'scripted', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof OpenAI.APIError && e.status === 500 && /scripted failure 500/.test(e.message),
  );
});
