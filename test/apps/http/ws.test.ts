import { describe, expect, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { SignJWT } from "jose"
import WebSocket from "ws"
import { ClearingStatusTopic } from "../../../core/clearing/model.js"
import { EventBus } from "../../../ports/event-bus.js"
import { sampleStatusUpdate } from "../../support/clearing.js"
import { eventually } from "../../support/eventually.js"
import { startApp } from "../../support/http-app.js"

const SECRET = "ws-routing-secret-0123456789abcdef0123456789"

const tokenFor = (userId: string) =>
  Effect.promise(() => {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({ user_id: userId, wallet_address: `osmo1${userId}`, chain_id: "osmosis-1" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(now)
      .setExpirationTime(now + 3_600)
      .sign(new TextEncoder().encode(SECRET))
  })

/** An authenticated socket for `userId`, subscribed to clearing_status unless told otherwise; keeps what it receives. */
const connect = (url: string, userId: string, subscribe = true) =>
  Effect.gen(function*() {
    const messages: Array<any> = []
    const ws = yield* Effect.acquireRelease(
      Effect.promise(() =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(url)
          socket.on("message", (d) => messages.push(JSON.parse(String(d))))
          socket.once("open", () => resolve(socket))
          socket.once("error", reject)
        })
      ),
      (socket) => Effect.sync(() => socket.terminate())
    )
    ws.send(JSON.stringify({ type: "auth", token: `Bearer ${yield* tokenFor(userId)}` }))
    yield* eventually(Effect.sync(() => messages), (ms) => ms.some((m) => m.type === "authenticated"), `${userId} authenticated`)
    if (subscribe) {
      ws.send(JSON.stringify({ type: "subscribe", topics: ["clearing_status"] }))
      yield* eventually(Effect.sync(() => messages), (ms) => ms.some((m) => m.type === "subscribed"), `${userId} subscribed`)
    }
    return { ws, statuses: () => messages.filter((m) => m.type === "clearing_status").map((m) => m.data.token_id as string) }
  })

describe("WebSocket clearing_status routing", () => {
  it.scopedLive("delivers a user's clearing_status to each of that user's subscribed sockets and to no one else's", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ JWT_SECRET: SECRET })
      const url = `${app.baseUrl.replace("http", "ws")}/api/v1/ws`
      const bus = Context.get(app.context, EventBus)
      const alice1 = yield* connect(url, "usr_alice")
      const alice2 = yield* connect(url, "usr_alice")
      const aliceQuiet = yield* connect(url, "usr_alice", false)
      const bob = yield* connect(url, "usr_bob")

      yield* bus.publish(ClearingStatusTopic, sampleStatusUpdate("usr_carol", "tok_carol"))
      yield* bus.publish(ClearingStatusTopic, sampleStatusUpdate("usr_alice", "tok_alice_1"))
      yield* bus.publish(ClearingStatusTopic, sampleStatusUpdate("usr_bob", "tok_bob_1"))
      yield* eventually(Effect.sync(() => [alice1.statuses(), alice2.statuses(), bob.statuses()]), (all) => all.every((s) => s.length > 0), "delivered")
      // Whatever else was still in flight has had the time to arrive by the next update's delivery.
      yield* bus.publish(ClearingStatusTopic, sampleStatusUpdate("usr_bob", "tok_bob_2"))
      yield* eventually(Effect.sync(() => bob.statuses()), (s) => s.includes("tok_bob_2"), "bob's second update")
      expect(alice1.statuses()).toEqual(["tok_alice_1"])
      expect(alice2.statuses()).toEqual(["tok_alice_1"])
      expect(aliceQuiet.statuses()).toEqual([])
      expect(bob.statuses()).toEqual(["tok_bob_1", "tok_bob_2"])

      // A closed socket drops out; its user's other socket keeps receiving.
      alice1.ws.terminate()
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 200)))
      yield* bus.publish(ClearingStatusTopic, sampleStatusUpdate("usr_alice", "tok_alice_2"))
      yield* eventually(Effect.sync(() => alice2.statuses()), (s) => s.includes("tok_alice_2"), "alice's second update")
      expect(alice2.statuses()).toEqual(["tok_alice_1", "tok_alice_2"])
      expect(alice1.statuses()).toEqual(["tok_alice_1"])
    }), 60_000)
})
