// The part of `ws` (v8) the Slack stand-in uses; the package ships no types and @types/ws is not installed.
declare module 'ws' {
  import type { IncomingMessage, Server as HttpServer } from 'node:http';

  export class WebSocket {
    static readonly OPEN: 1;
    readonly readyState: 0 | 1 | 2 | 3;
    send(data: string): void;
    close(code?: number, reason?: string): void;
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  }

  export class WebSocketServer {
    constructor(options: { server: HttpServer; path?: string });
    readonly clients: Set<WebSocket>;
    on(event: 'connection', listener: (socket: WebSocket, request: IncomingMessage) => void): this;
    close(callback?: (err?: Error) => void): void;
  }
}
