import { PassThrough } from 'node:stream';
import { notifierConformance } from '@ao/testkit/notifier-conformance';
import { createConsoleNotifier } from '../src/index.js';

// The console notifier's receiver is its stream: one delivery is one printed line.
notifierConformance('console', async () => {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return {
    notifier: createConsoleNotifier({ stream, env: {} }),
    received: async () => chunks.join('').split('\n').filter(Boolean),
    cleanup: async () => void stream.destroy(),
  };
});
