/**
 * A loopback TCP proxy in front of a shared service (MariaDB, Redis), so a
 * test can take the service away from one app without stopping it for the
 * other test files using it. `cut` drops every open connection and refuses new
 * ones (as a dead host behind a firewall that sends resets would); `restore`
 * forwards again. The listening port never changes.
 */
import { createConnection, createServer, type Socket } from "node:net"
import { Effect } from "effect"

export interface TcpProxy {
  readonly port: number
  readonly cut: Effect.Effect<void>
  readonly restore: Effect.Effect<void>
  /** Connections forwarded so far (a reconnect after `restore` shows up here). */
  readonly accepted: () => number
}

export const tcpProxy = (targetHost: string, targetPort: number) =>
  Effect.acquireRelease(
    Effect.async<{ proxy: TcpProxy; close: () => Promise<void> }>((resume) => {
      let open = true
      let accepted = 0
      const pairs = new Set<Socket>()
      const server = createServer((client) => {
        if (!open) return void client.destroy()
        accepted++
        const upstream = createConnection({ host: targetHost, port: targetPort })
        pairs.add(client).add(upstream)
        const drop = () => {
          client.destroy()
          upstream.destroy()
          pairs.delete(client)
          pairs.delete(upstream)
        }
        client.on("error", drop).on("close", drop)
        upstream.on("error", drop).on("close", drop)
        client.pipe(upstream)
        upstream.pipe(client)
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({
          proxy: {
            port,
            cut: Effect.sync(() => {
              open = false
              for (const s of pairs) s.destroy()
              pairs.clear()
            }),
            restore: Effect.sync(() => {
              open = true
            }),
            accepted: () => accepted
          },
          close: () =>
            new Promise<void>((done) => {
              for (const s of pairs) s.destroy()
              server.close(() => done())
            })
        }))
      })
    }),
    ({ close }) => Effect.promise(close)
  ).pipe(Effect.map(({ proxy }) => proxy))
