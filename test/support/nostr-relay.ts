import type { AddressInfo } from "node:net"
import type { Event, Filter } from "@nostr-relay/common"
import { NostrRelay } from "@nostr-relay/core"
import { EventRepositorySqlite } from "@nostr-relay/event-repository-sqlite"
import { Effect } from "effect"
import { WebSocketServer } from "ws"

export interface TestRelay {
  readonly url: string
  readonly port: number
  /** Closes every client connection and the listener (idempotent); the scope does it too. */
  readonly stop: Effect.Effect<void>
  /** Drops every client connection, keeping the listener: clients see a lost connection. */
  readonly dropClients: Effect.Effect<void>
  /**
   * Hands an event straight to the relay's matching subscribers without any
   * validation, as a broken or malicious relay would; nothing is stored.
   */
  readonly inject: (event: unknown) => Effect.Effect<void>
  /** What the relay has stored for the filter. */
  readonly query: (filter: Filter) => Effect.Effect<ReadonlyArray<Event>>
}

/**
 * A real Nostr relay (@nostr-relay/core over an in-memory SQLite store) on a
 * loopback WebSocket server, for the life of the scope. Caches are off
 * (`eventHandlingResultCacheTtl: 0` so a forged copy cannot poison a genuine
 * event's verdict; `filterResultCacheTtl: 0` so a query sees what was stored
 * a moment ago). `port` 0 picks a free port; pass a previous port to bring a
 * stopped relay back at the same URL (with an empty store).
 */
export const startRelay = (port = 0) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const repository = new EventRepositorySqlite(":memory:")
      await repository.init()
      const relay = new NostrRelay(repository, { eventHandlingResultCacheTtl: 0, filterResultCacheTtl: 0, logLevel: 3 })
      const server = new WebSocketServer({ host: "127.0.0.1", port })
      await new Promise<void>((resolve, reject) => {
        server.once("listening", resolve)
        server.once("error", reject)
      })
      server.on("connection", (ws, req) => {
        relay.handleConnection(ws, req.socket.remoteAddress)
        ws.on("message", (data) => {
          let message: unknown
          try {
            message = JSON.parse(String(data))
          } catch {
            return
          }
          relay.handleMessage(ws, message as Parameters<NostrRelay["handleMessage"]>[1]).catch(() => {})
        })
        ws.on("close", () => relay.handleDisconnect(ws))
        ws.on("error", () => {})
      })
      let stopped = false
      const stop = async () => {
        if (stopped) return
        stopped = true
        for (const c of server.clients) c.terminate()
        await new Promise<void>((resolve) => server.close(() => resolve()))
        await relay.destroy()
        await repository.destroy()
      }
      const actual = (server.address() as AddressInfo).port
      return { relay, server, stop, port: actual }
    }),
    ({ stop }) => Effect.promise(stop)
  ).pipe(Effect.map(({ port: actual, relay, server, stop }): TestRelay => ({
    url: `ws://127.0.0.1:${actual}`,
    port: actual,
    stop: Effect.promise(stop),
    dropClients: Effect.sync(() => {
      for (const c of server.clients) c.terminate()
    }),
    inject: (event) => Effect.promise(() => relay.broadcast(event as Event)),
    query: (filter) => Effect.promise(() => relay.findEvents([filter]))
  })))
