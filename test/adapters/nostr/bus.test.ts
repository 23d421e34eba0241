import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Stream } from "effect"
import { finalizeEvent, generateSecretKey } from "nostr-tools/pure"
import * as NostrBusAdapter from "../../../adapters/nostr/bus.js"
import * as SchnorrLibsecp from "../../../adapters/crypto/schnorr-libsecp.js"
import { NostrBus } from "../../../ports/nostr-bus.js"
import { nostrBusContract } from "../../contracts/nostr-bus.js"
import { eventually } from "../../support/eventually.js"
import { startRelay } from "../../support/nostr-relay.js"

const settings = (relays: ReadonlyArray<string>, privateKey: Uint8Array): NostrBusAdapter.NostrBusSettings => ({
  relays,
  privateKey,
  connectTimeout: "2 seconds",
  publishTimeout: "2 seconds",
  backoff: { initial: "50 millis", max: "500 millis" }
})

nostrBusContract("nostr-tools + ws", (relays, privateKey) =>
  NostrBusAdapter.layer(settings(relays, privateKey)).pipe(Layer.provide(SchnorrLibsecp.layer)))

describe("nostr-tools + ws bus", () => {
  it.scopedLive("events arriving while a subscription's inbox is full are dropped and counted as inbox_full", () =>
    Effect.gen(function*() {
      const relay = yield* startRelay()
      const bus = yield* Layer.build(
        NostrBusAdapter.layer({ ...settings([relay.url], generateSecretKey()), inboxCapacity: 2 }).pipe(Layer.provide(SchnorrLibsecp.layer))
      ).pipe(Effect.map((ctx) => Context.get(ctx, NostrBus)))
      // Not consumed yet, so nothing leaves the inbox.
      const stream = yield* bus.subscribe([{ kinds: [30078] }])
      const author = generateSecretKey()
      const events = Array.from({ length: 5 }, (_, i) =>
        finalizeEvent({ kind: 30078, created_at: Math.floor(Date.now() / 1000), tags: [["d", `burst-${i}`]], content: `${i}` }, author))
      for (const e of events) yield* relay.inject(e)
      const [state] = yield* eventually(bus.relays(), ([s]) => s!.dropped.inbox_full === 3, "three drops counted")
      expect(state!.dropped).toMatchObject({ inbox_full: 3, malformed: 0, invalid_signature: 0, duplicate: 0 })
      const delivered = yield* stream.pipe(Stream.take(2), Stream.runCollect)
      expect(Array.from(delivered, (d) => d.event.content)).toEqual(["0", "1"])
      expect((yield* bus.relays())[0]!.events_received).toBe(2)
    }))
})
