/**
 * One `/api/events` stream for every dashboard tab of this browser: a browser opens at most six
 * HTTP/1.1 connections per host, and an EventSource per tab would use them all up by the sixth
 * tab. The tabs connect to this shared worker and get the stream's messages through it.
 *
 * To tabs: `{ kind: 'open' }` (connected: load the list now), `{ kind: 'session', data }`,
 * `{ kind: 'error', closed }`. From tabs: `'reconnect'` (after a closed stream, e.g. a new login).
 */
type Out = { kind: 'open' } | { kind: 'session'; data: string } | { kind: 'error'; closed: boolean };

const scope = self as unknown as { onconnect: ((event: MessageEvent) => void) | null };
const ports = new Set<MessagePort>();
let source: EventSource | undefined;
let open = false;

const broadcast = (message: Out): void => {
  for (const port of ports) port.postMessage(message);
};

function connect(): void {
  open = false;
  const s = new EventSource('/api/events');
  source = s;
  s.addEventListener('open', () => {
    open = true;
    broadcast({ kind: 'open' });
  });
  s.addEventListener('session', (e) => broadcast({ kind: 'session', data: (e as MessageEvent<string>).data }));
  s.addEventListener('error', () => {
    const closed = s.readyState === EventSource.CLOSED;
    open = false;
    if (closed && source === s) source = undefined;
    broadcast({ kind: 'error', closed });
  });
}

scope.onconnect = (event) => {
  const port = event.ports[0] as MessagePort;
  ports.add(port);
  port.onmessage = (m: MessageEvent) => {
    if (m.data === 'reconnect' && !source) connect();
    if (m.data === 'close') ports.delete(port);
  };
  port.start();
  if (!source) connect();
  else if (open) port.postMessage({ kind: 'open' } satisfies Out);
};
