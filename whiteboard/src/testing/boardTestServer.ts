import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Server as SocketIoServer } from 'socket.io';
import { io as connect, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { BoardClient, type BoardClientOptions } from '../client/BoardClient.ts';
import { BOARD_NAMESPACE, attachBoardGateway, type BoardGatewayOptions } from '../server/BoardGateway.ts';
import { boardsApi } from '../server/boardsApi.ts';
import { BoardService, type BoardServiceOptions } from '../server/BoardService.ts';
import { BoardStore } from '../server/BoardStore.ts';

export interface BoardTestServer {
  url: string;
  service: BoardService;
  io: SocketIoServer;
  /** A raw socket on the board namespace (on a connection of its own). */
  socket(options?: Partial<ManagerOptions & SocketOptions>): Promise<Socket>;
  /** A joined client of a standalone board. */
  client(board: string, opts?: Partial<BoardClientOptions>): Promise<BoardClient>;
  close(): Promise<void>;
}

/**
 * The board server without the meeting server around it: HTTP, socket.io
 * with the board namespace, and the REST router (no auth: the Bearer check
 * is the host server's). Enough for protocol, sync and fuzz tests.
 */
export async function startBoardTestServer(options: Partial<BoardServiceOptions> = {}, gateway: BoardGatewayOptions = {}): Promise<BoardTestServer> {
  const service = new BoardService({ store: new BoardStore(), measureDelayMs: 20, ...options });
  const app = express();
  app.use('/api/v1', boardsApi(service));
  const httpServer = http.createServer(app);
  const io = new SocketIoServer(httpServer, { maxHttpBufferSize: 1_000_000 });
  attachBoardGateway(io, service, gateway);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  const sockets: Socket[] = [];
  const clients: BoardClient[] = [];
  let counter = 0;

  const socket = async (opts: Partial<ManagerOptions & SocketOptions> = {}) => {
    const s = connect(`${url}${BOARD_NAMESPACE}`, { transports: ['websocket'], forceNew: true, ...opts });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    return s;
  };

  return {
    url,
    service,
    io,
    socket,
    async client(board, opts = {}) {
      counter++;
      const client = new BoardClient({
        socket: opts.socket ?? (await socket()),
        board,
        name: `user${counter}`,
        clientKey: `test-client-key-${counter}-${Math.random().toString(36).slice(2)}`,
        sendIntervalMs: 5,
        ...opts,
      });
      clients.push(client);
      await client.join();
      return client;
    },
    async close() {
      for (const c of clients) c.close();
      for (const s of sockets) s.close();
      io.close();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await service.close();
    },
  };
}

/** Polls until `check` holds (state that arrives over the network); fails with `what`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
