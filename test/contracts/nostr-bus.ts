import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Either, Layer, Stream } from "effect"
import * as nip44 from "nostr-tools/nip44"
import * as nip59 from "nostr-tools/nip59"
import { finalizeEvent, generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { type Delivered, type DirectMessage, NostrBus } from "../../ports/nostr-bus.js"
import { startRelay } from "../support/nostr-relay.js"
import { pause } from "../support/nostr-wallet.js"

export type MakeBus = (relays: ReadonlyArray<string>, privateKey: Uint8Array) => Layer.Layer<NostrBus>

const APP_KIND = 30078

/** A bus on `relays` for the life of the test's scope. */
const busOn = (makeBus: MakeBus, relays: ReadonlyArray<string>, key: Uint8Array = generateSecretKey()) =>
  Layer.build(makeBus(relays, key)).pipe(Effect.map((ctx) => Context.get(ctx, NostrBus)))

/** Runs `stream` in the background; `until(n)` waits (up to `ms`) for n items and returns what arrived. */
const collect = <A>(stream: Stream.Stream<A>) =>
  Effect.gen(function*() {
    const got: Array<A> = []
    const fiber = yield* Stream.runForEach(stream, (a) => Effect.sync(() => got.push(a))).pipe(Effect.forkScoped)
    const until = (n: number, ms = 10_000) =>
      Effect.gen(function*() {
        const start = Date.now()
        while (got.length < n && Date.now() - start < ms) yield* pause(20)
        return got.slice()
      })
    return { got, until, fiber }
  })

const waitUntil = (check: Effect.Effect<boolean>, what: string, ms = 15_000) =>
  Effect.gen(function*() {
    const start = Date.now()
    while (Date.now() - start < ms) {
      if (yield* check) return
      yield* pause(25)
    }
    return yield* Effect.dieMessage(`timed out waiting for ${what}`)
  })

/** The behaviour every NostrBus adapter must have, against real relays on loopback. */
export const nostrBusContract = (name: string, makeBus: MakeBus) =>
  describe(`NostrBus contract: ${name}`, () => {
    it.scopedLive("publishes to every relay; a subscriber on both relays gets each event once, verified", () =>
      Effect.gen(function*() {
        const r1 = yield* startRelay()
        const r2 = yield* startRelay()
        const a = yield* busOn(makeBus, [r1.url, r2.url])
        const b = yield* busOn(makeBus, [r1.url, r2.url])
        const seen = yield* collect(yield* b.subscribe([{ kinds: [APP_KIND], authors: [a.pubkey] }]))
        const { event, report } = yield* a.publish({ kind: APP_KIND, tags: [["d", "contract-1"]], content: "hello" })
        expect(report.accepted.length).toBe(2)
        expect(report.rejected).toEqual([])
        expect(event.pubkey).toBe(a.pubkey)
        yield* seen.until(1)
        yield* pause(300)
        expect(seen.got.map((d: Delivered) => [d.event.id, d.event.content])).toEqual([[event.id, "hello"]])
        expect(yield* r1.query({ ids: [event.id] })).toHaveLength(1)
        expect(yield* r2.query({ ids: [event.id] })).toHaveLength(1)
      }))

    it.scopedLive("drops events whose id or signature does not verify, even a forged copy sent first under a real id, and counts each drop by reason", () =>
      Effect.gen(function*() {
        const relay = yield* startRelay()
        const b = yield* busOn(makeBus, [relay.url])
        const author = generateSecretKey()
        const seen = yield* collect(yield* b.subscribe([{ kinds: [APP_KIND] }]))
        const genuine = finalizeEvent({ kind: APP_KIND, created_at: Math.floor(Date.now() / 1000), tags: [["d", "x"]], content: "genuine" }, author)
        const plain = JSON.parse(JSON.stringify(genuine))
        yield* relay.inject({ ...plain, content: "forged under the genuine id" })
        const other = finalizeEvent({ kind: APP_KIND, created_at: Math.floor(Date.now() / 1000), tags: [], content: "other" }, author)
        yield* relay.inject({ ...JSON.parse(JSON.stringify(other)), sig: plain.sig })
        yield* relay.inject({ ...plain, id: "zz" })
        yield* relay.inject(plain)
        const got = yield* seen.until(1)
        yield* relay.inject(plain)
        yield* relay.inject({ kind: APP_KIND, content: "not an event" })
        yield* waitUntil(b.relays().pipe(Effect.map(([s]) => s!.dropped.duplicate + s!.dropped.malformed === 3)), "the last two drops")
        expect(got.map((d) => d.event.content)).toEqual(["genuine"])
        const [state] = yield* b.relays()
        expect(state!.dropped).toEqual({
          inbox_full: 0,
          malformed: 2,
          invalid_signature: 2,
          filter_mismatch: 0,
          duplicate: 1,
          undecryptable: 0,
          stale: 0
        })
        expect(state!.invalid_events).toBe(4)
        expect(state!.events_received).toBe(2)
      }))

    it.scopedLive("an event reaching fewer than a majority is reported, and reaches the others when they come back", () =>
      Effect.gen(function*() {
        const up = yield* startRelay()
        const down = yield* startRelay()
        const downPort = down.port
        yield* down.stop
        const a = yield* busOn(makeBus, [up.url, down.url])
        const states = yield* a.relays()
        expect(states.map((s) => s.status)).toEqual(["connected", "disconnected"])
        const failed = yield* a.publish({ kind: APP_KIND, tags: [["d", "majority"]], content: "one of two" }).pipe(Effect.flip)
        expect(failed._tag).toBe("NostrPublishFailed")
        expect(failed.report.accepted).toEqual([up.url])
        expect(failed.report.rejected.map((r) => r.relay)).toEqual([down.url])
        expect((yield* a.relays())[1]!.pending_publishes).toBe(1)

        const back = yield* startRelay(downPort)
        yield* waitUntil(back.query({ ids: [failed.report.event_id] }).pipe(Effect.map((es) => es.length === 1)), "the re-sent event")
        // the relay stores the event before its OK reaches us; the outbox empties on the OK
        yield* waitUntil(a.relays().pipe(Effect.map((rs) => rs[1]!.pending_publishes === 0)), "the OK for the re-sent event")
        expect((yield* a.relays())[1]!.status).toBe("connected")
        const ok = yield* a.publish({ kind: APP_KIND, tags: [["d", "majority-2"]], content: "two of two" })
        expect(ok.report.accepted).toHaveLength(2)
      }))

    it.scopedLive("subscriptions are renewed after a lost connection", () =>
      Effect.gen(function*() {
        const relay = yield* startRelay()
        const b = yield* busOn(makeBus, [relay.url])
        const a = yield* busOn(makeBus, [relay.url])
        const seen = yield* collect(yield* b.subscribe([{ kinds: [APP_KIND], authors: [a.pubkey] }]))
        yield* relay.dropClients
        yield* waitUntil(
          Effect.all([a.relays(), b.relays()]).pipe(
            Effect.map(([x, y]) => x[0]!.status === "connected" && y[0]!.status === "connected" && y[0]!.failures > 0)
          ),
          "reconnection"
        )
        yield* a.publish({ kind: APP_KIND, tags: [["d", "after-drop"]], content: "after the drop" })
        const got = yield* seen.until(1)
        expect(got.map((d) => d.event.content)).toEqual(["after the drop"])
      }))

    it.scopedLive("gift-wrapped DMs interoperate with nostr-tools' NIP-59 both ways and hide the parties from relays", () =>
      Effect.gen(function*() {
        const relay = yield* startRelay()
        const a = yield* busOn(makeBus, [relay.url])
        const walletSk = generateSecretKey()
        const wallet = getPublicKey(walletSk)
        const inbox = yield* collect(yield* a.directMessages(Math.floor(Date.now() / 1000) - 60))

        const sent = yield* a.sendDirectMessage(wallet, { kind: 31511, tags: [["d", "s-1"]], content: "{\"hello\":1}" })
        expect(sent.report.accepted).toEqual([relay.url])
        const [wrap] = yield* relay.query({ ids: [sent.wrap.id] })
        expect(wrap).toMatchObject({ kind: 1059, tags: [["p", wallet]] })
        expect(wrap!.pubkey).not.toBe(a.pubkey)
        expect(wrap!.content).not.toContain("hello")
        const opened = nip59.unwrapEvent(wrap as never, walletSk)
        expect(opened).toMatchObject({ kind: 31511, pubkey: a.pubkey, content: "{\"hello\":1}", tags: [["d", "s-1"]] })

        const reply = nip59.wrapEvent({ kind: 31512, content: "{\"ok\":true}", tags: [["d", "s-1"]] }, walletSk, a.pubkey)
        yield* Effect.promise(() => import("nostr-tools/relay").then(async ({ Relay, useWebSocketImplementation }) => {
          useWebSocketImplementation((await import("ws")).default)
          const r = await Relay.connect(relay.url)
          await r.publish(reply)
          // A seal signed by the wallet around a rumor claiming another author must not pass.
          const impostor = generateSecretKey()
          const rumor = nip59.createRumor({ kind: 31512, content: "{\"ok\":false}", tags: [] }, impostor)
          await r.publish(nip59.createWrap(nip59.createSeal(rumor, walletSk, a.pubkey), a.pubkey))
          // Written an hour before the inbox's `since`.
          await r.publish(nip59.wrapEvent({ kind: 31512, content: "{\"old\":true}", tags: [], created_at: Math.floor(Date.now() / 1000) - 3_600 }, walletSk, a.pubkey))
          r.close()
        }))
        const got = yield* inbox.until(1)
        yield* waitUntil(
          a.relays().pipe(Effect.map(([s]) => s!.dropped.undecryptable === 1 && s!.dropped.stale === 1)),
          "the impostor's wrap and the old one counted"
        )
        expect(got.map((m: DirectMessage) => [m.sender, m.rumor.kind, m.rumor.content])).toEqual([[wallet, 31512, "{\"ok\":true}"]])
      }))

    it.scopedLive("NIP-44 v2 encryption matches nostr-tools and refuses the wrong peer", () =>
      Effect.gen(function*() {
        const relay = yield* startRelay()
        const a = yield* busOn(makeBus, [relay.url])
        const peerSk = generateSecretKey()
        const peer = getPublicKey(peerSk)
        const payload = yield* a.encrypt(peer, "ünïcødé ✓")
        expect(nip44.v2.decrypt(payload, nip44.v2.utils.getConversationKey(peerSk, a.pubkey))).toBe("ünïcødé ✓")
        const back = nip44.v2.encrypt("reply", nip44.v2.utils.getConversationKey(peerSk, a.pubkey))
        expect(yield* a.decrypt(peer, back)).toBe("reply")
        const stranger = getPublicKey(generateSecretKey())
        expect(Either.isLeft(yield* Effect.either(a.decrypt(stranger, back)))).toBe(true)
        const notAPoint = "f".repeat(64)
        expect((yield* Effect.flip(a.encrypt(notAPoint, "x")))._tag).toBe("NostrInvalidPeer")
      }))
  })

