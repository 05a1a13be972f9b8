// A TCP relay on a loopback port in front of a real server (Redis,
// PostgreSQL), which a test can cut and restore to take that server away
// from the gateway and give it back without touching the server itself.
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { once } from 'node:events'

export interface TcpProxy {
  port: number
  /** Drops every relayed connection and refuses new ones. */
  cut (): Promise<void>
  /** Accepts connections again, on the same port. */
  restore (): Promise<void>
  close (): Promise<void>
}

export async function tcpProxy (host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let listenPort = 0

  async function listen (): Promise<void> {
    const s = createServer((client) => {
      const upstream = createConnection({ host, port })
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
        socket.on('error', () => { client.destroy(); upstream.destroy() })
      }
      client.pipe(upstream).pipe(client)
    })
    s.listen(listenPort, '127.0.0.1')
    await once(s, 'listening')
    listenPort = (s.address() as { port: number }).port
    server = s
  }

  async function cut (): Promise<void> {
    const s = server
    server = undefined
    for (const socket of sockets) socket.destroy()
    if (s !== undefined) await new Promise<void>(resolve => s.close(() => resolve()))
  }

  await listen()
  return {
    port: listenPort,
    cut,
    restore: async () => { if (server === undefined) await listen() },
    close: cut
  }
}
