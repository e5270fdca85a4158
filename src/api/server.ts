import { createServer, type Server } from 'node:http';
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
  return new Promise((resolve, reject) => {
    const server: Server = createServer(tracing ? tracing.traceRequests(app) : app).listen(port, host);
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
