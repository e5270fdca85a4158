import {
  createServer,
  maxHeaderSize,
  type IncomingMessage,
  STATUS_CODES,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { activeTracing } from '../telemetry/index.js';

export interface RunningServer {
  url: string;
  port: number;
  close: () => Promise<void>;
}

/**
 * Listens on host:port (port 0 picks a free one) and resolves once it accepts connections. With tracing
 * on (src/telemetry), each request gets a server span.
 */
export function listen(app: Express, host: string, port: number): Promise<RunningServer> {
  const tracing = activeTracing();
  const handler = trackResponses(requireHost(tracing ? tracing.traceRequests(app) : app));
  return new Promise((resolve, reject) => {
    // Node's own refusals (no Host, an Expect it does not know, a request that is not HTTP) have no body;
    // the API answers them as it answers every refusal, with a JSON error.
    const server: Server = createServer({ requireHostHeader: false }, handler).listen(port, host);
    server.on('clientError', answerClientError);
    // Node closes a CONNECT without a word when nothing listens for it.
    server.on('connect', (_req, socket: Duplex) => {
      writeError(socket, 405, 'MethodNotAllowed', 'the API serves no CONNECT');
      socket.destroy();
    });
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      track(req, res);
      sendError(res, 417, 'ExpectationFailed', 'the only expectation served is Expect: 100-continue');
    });
    server.once('error', reject);
    server.once('listening', () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
      resolve({
        url: `http://${shown}:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}

const errorBody = (error: string, message: string): string => JSON.stringify({ error, message });

function sendError(res: ServerResponse, status: number, error: string, message: string): void {
  const body = errorBody(error, message);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  res.end(body);
}

/** HTTP/1.1 asks every request to name its Host (RFC 9112, section 3.2), as Node's default check did. */
function requireHost(handler: RequestListener): RequestListener {
  return (req, res) => {
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      sendError(res, 400, 'BadRequest', 'an HTTP/1.1 request must send a Host header');
      return;
    }
    handler(req, res);
  };
}

/**
 * Each connection's unfinished responses, oldest first. Node writes a connection's responses in the order
 * of its requests and keeps no public link from a socket to the one it is writing, so the server keeps
 * its own.
 */
const responses = new WeakMap<Duplex, Set<ServerResponse>>();

function track(req: IncomingMessage, res: ServerResponse): void {
  let open = responses.get(req.socket);
  if (!open) responses.set(req.socket, (open = new Set()));
  open.add(res);
  // Node lets go of a response once it has finished (its own listener runs first), or when the connection closes.
  const done = (): boolean => open.delete(res);
  res.once('finish', done).once('close', done);
}

/** Every response Node hands the server goes through track: here the requests', and the refused expectations'. */
function trackResponses(handler: RequestListener): RequestListener {
  return (req, res) => {
    track(req, res);
    handler(req, res);
  };
}

/** The response the connection is answering now: its oldest unfinished one. */
function answering(socket: Duplex): ServerResponse | undefined {
  const [oldest] = responses.get(socket) ?? [];
  return oldest;
}

/** The answers Node gives a request it could not parse, by its error code; others are a 400. */
const CLIENT_ERRORS: Record<string, [status: number, error: string, message: string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'HeadersTooLarge',
    `the request line and headers are larger than ${maxHeaderSize} bytes together`,
  ],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'PayloadTooLarge', 'the chunk extensions are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'RequestTimeout', 'the request did not arrive in time'],
};

/**
 * A request Node could not parse, answered as Node would (status and closing the connection), but with
 * a JSON error: the socket is written to directly, since there is no response object.
 */
function answerClientError(err: Error & { code?: string; reason?: unknown }, socket: Duplex): void {
  if (answeringWholeRequest(socket)) return;
  // Nothing is written after an answer began (a pipelined request's): the client would read it as part of it.
  if (err.code !== 'ECONNRESET' && socket.writable && !answering(socket)?.headersSent) {
    const [status, error, message] = CLIENT_ERRORS[err.code ?? ''] ?? [
      400,
      'BadRequest',
      `the request is not valid HTTP/1.1${typeof err.reason === 'string' ? ` (${err.reason})` : ''}`,
    ];
    writeError(socket, status, error, message);
  }
  socket.destroy(err);
}

/**
 * When the bad bytes come after a whole request (data past its Content-Length, a second request that is
 * not HTTP), that request is being handled and may have acted: a 400 written over it told the client
 * nothing was done when a rule had been deleted. Its own answer is given, and the connection closes
 * after it, nothing more read. A request cut off mid-body is refused as before: every route that acts
 * reads its body first, so it has not.
 */
function answeringWholeRequest(socket: Duplex): boolean {
  const res = answering(socket);
  if (!res || res.writableFinished || !res.req.complete) return false;
  socket.pause();
  res.shouldKeepAlive = false;
  if (!closing.has(socket)) {
    closing.add(socket);
    res.once('close', () => socket.destroy());
  }
  return true;
}

const closing = new WeakSet<Duplex>();

/** An answer written on the socket itself, where Node gives no response object; the connection ends with it. */
function writeError(socket: Duplex, status: number, error: string, message: string): void {
  const body = errorBody(error, message);
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? error}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
