import { describe, expect, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { SessionService } from "../../../core/signing/service.js"
import { ArkServer } from "../../../ports/ark-server.js"
import { GatewaySigner } from "../../../ports/gateway-signer.js"
import { fund, startGateway } from "../../support/gateway.js"
import { startRelay } from "../../support/nostr-relay.js"
import { makeWallet, type OpenedDm, pause, type Wallet } from "../../support/nostr-wallet.js"

const recipient = () => getPublicKey(generateSecretKey())
const transfer = (to: string, amount = 10_000) => ({ recipient_pubkey: to, amount, asset_id: "BTC" })
const tag = (tags: ReadonlyArray<ReadonlyArray<string>>, name: string) => tags.filter((t) => t[0] === name).map((t) => t[1])

/** `relays` fresh relays, a gateway and a wallet on all of them, the wallet holding 100,000 sats. */
const fundedWallet = (relays = 1) =>
  Effect.gen(function*() {
    const started = yield* Effect.forEach(Array.from({ length: relays }), () => startRelay())
    const urls = started.map((r) => r.url)
    const gw = yield* startGateway(urls)
    const wallet = yield* makeWallet(urls)
    yield* fund(gw.context, wallet.pubkey, 100_000n)
    return { relays: started, gw, wallet }
  })

const isChallenge = (session?: string) => (dm: OpenedDm) =>
  dm.kind === 31511 && (session === undefined || dm.content.session_id === session)
const isFailure = (session?: string) => (dm: OpenedDm) =>
  dm.kind === 31341 && (session === undefined || dm.content.session_id === session)
const isConfirmation = (session: string) => (e: { readonly tags: ReadonlyArray<ReadonlyArray<string>> }) => tag(e.tags, "d")[0] === session

/** The wallet's answer to a challenge, signed by `signer` (the wallet itself unless a forger is given). */
const answer = (wallet: Wallet, gateway: string, challenge: OpenedDm, signer: Wallet = wallet) =>
  wallet.sendDm(gateway, 31512, {
    session_id: challenge.content.session_id,
    type: challenge.content.type,
    signature: signer.signChallenge(challenge.content.payload_to_sign),
    payload_ref: challenge.content.challenge_id
  }, [["d", challenge.content.session_id]])

describe("the Nostr worker drives the ark signing flow (31510 → 31511 → 31512 → 31340 / 31341)", () => {
  it.scopedLive("intent → challenge DM → signed response DM → ceremony → public 31340, and the recipient owns the VTXO", () =>
    Effect.gen(function*() {
      const { gw, wallet } = yield* fundedWallet()
      const to = recipient()

      const intent = yield* wallet.publishIntent(gw.nostrPubkey, { action_id: "act-1", intent: transfer(to) })
      const challenge = yield* wallet.waitForDm(isChallenge(), "31511 challenge")
      expect(challenge.sender).toBe(gw.nostrPubkey)
      expect(challenge.content).toMatchObject({ type: "sign_challenge", action_id: "act-1", session_type: "p2p_transfer" })
      expect(challenge.content.human_readable_context).toContain("10000 BTC")
      expect(tag(challenge.tags, "d")).toEqual([challenge.content.session_id])
      expect(tag(challenge.tags, "e")).toEqual([intent.id])
      // What the wallet signs binds its own key, the gateway's signing key and the intent.
      const bound = JSON.parse(challenge.content.payload_to_sign)
      expect(bound).toMatchObject({ session_id: challenge.content.session_id, user_pubkey: wallet.pubkey })
      expect(bound.gateway_pubkey).toBe(Context.get(gw.context, GatewaySigner).pubkey)
      // Relays saw only a kind 1059 wrap from a one-time key.
      expect(challenge.wrap.kind).toBe(1059)
      expect(challenge.wrap.pubkey).not.toBe(gw.nostrPubkey)

      yield* answer(wallet, gw.nostrPubkey, challenge)
      const confirmation = yield* wallet.waitForPublic(isConfirmation(challenge.content.session_id), "31340")
      expect(confirmation.pubkey).toBe(gw.nostrPubkey)
      expect(tag(confirmation.tags, "e")).toEqual([intent.id])
      expect(tag(confirmation.tags, "p")).toEqual([wallet.pubkey, to])
      const content = JSON.parse(confirmation.content)
      expect(content).toMatchObject({
        status: "completed",
        action_id: "act-1",
        session_id: challenge.content.session_id,
        sender_pubkey: wallet.pubkey,
        recipient_pubkey: to,
        amount: 10_000,
        asset_id: "BTC"
      })
      expect(content.ark_txid).toMatch(/^[0-9a-f]{64}$/)

      const session = yield* Context.get(gw.context, SessionService).get(challenge.content.session_id)
      expect(session.status).toBe("completed")
      const owned = yield* Context.get(gw.context, ArkServer).listVtxos(to)
      expect(owned.map((v) => [v.txid, v.amount])).toEqual([[content.ark_txid, 10_000n]])
      expect(wallet.dms.filter(isFailure())).toEqual([])
      expect((yield* gw.worker.status()).stats).toMatchObject({ challenges_sent: 1, confirmations_published: 1, failures_sent: 0 })
    }))

  it.scopedLive("a bad signature is answered by a 31341 DM naming the attempts left; a good one still completes", () =>
    Effect.gen(function*() {
      const { gw, relays: [relay], wallet } = yield* fundedWallet()
      const forger = yield* makeWallet([relay.url])
      const intent = yield* wallet.publishIntent(gw.nostrPubkey, { action_id: "act-bad", intent: transfer(recipient()) })
      const challenge = yield* wallet.waitForDm(isChallenge(), "31511 challenge")

      yield* answer(wallet, gw.nostrPubkey, challenge, forger)
      const failure = yield* wallet.waitForDm(isFailure(challenge.content.session_id), "31341 failure")
      expect(failure.sender).toBe(gw.nostrPubkey)
      expect(failure.content).toMatchObject({
        status: "failure",
        code: 1001,
        error: "INVALID_SIGNATURE",
        action_id: "act-bad",
        attempts_left: 2
      })
      expect(tag(failure.tags, "e")).toContain(intent.id)
      expect((yield* Context.get(gw.context, SessionService).get(challenge.content.session_id)).status).toBe("challenge_sent")

      yield* answer(wallet, gw.nostrPubkey, challenge)
      const done = yield* wallet.waitForPublic(isConfirmation(challenge.content.session_id), "31340")
      expect(JSON.parse(done.content).status).toBe("completed")
    }))

  it.scopedLive("two relays with one down: the flow completes on the other, and the one that comes back gets the confirmation", () =>
    Effect.gen(function*() {
      const up = yield* startRelay()
      const down = yield* startRelay()
      const downPort = down.port
      yield* down.stop
      const gw = yield* startGateway([up.url, down.url])
      expect((yield* gw.worker.status()).relays.map((r) => r.status)).toEqual(["connected", "disconnected"])
      const wallet = yield* makeWallet([up.url, down.url])
      yield* fund(gw.context, wallet.pubkey, 100_000n)
      expect(wallet.relays).toHaveLength(1)

      yield* wallet.publishIntent(gw.nostrPubkey, { action_id: "act-one-down", intent: transfer(recipient()) })
      const challenge = yield* wallet.waitForDm(isChallenge(), "31511 challenge")
      yield* answer(wallet, gw.nostrPubkey, challenge)
      const confirmation = yield* wallet.waitForPublic(isConfirmation(challenge.content.session_id), "31340")
      expect((yield* gw.worker.status()).stats.publish_warnings).toBeGreaterThanOrEqual(2)

      const back = yield* startRelay(downPort)
      const start = Date.now()
      let stored: ReadonlyArray<{ id: string }> = []
      while (stored.length === 0 && Date.now() - start < 20_000) {
        yield* pause(50)
        stored = yield* back.query({ ids: [confirmation.id] })
      }
      expect(stored.map((e) => e.id)).toEqual([confirmation.id])
      // the challenge DM was re-sent too, so a wallet reading only that relay would have got it
      expect(yield* back.query({ ids: [challenge.wrap.id] })).toHaveLength(1)
      expect((yield* gw.worker.status()).relays.map((r) => r.status)).toEqual(["connected", "connected"])
    }))

  it.scopedLive("an intent and a response delivered by two relays are each processed once", () =>
    Effect.gen(function*() {
      const { gw, wallet } = yield* fundedWallet(2)
      yield* wallet.publishIntent(gw.nostrPubkey, { action_id: "act-dup", intent: transfer(recipient()) })
      const challenge = yield* wallet.waitForDm(isChallenge(), "31511 challenge")
      yield* answer(wallet, gw.nostrPubkey, challenge)
      yield* wallet.waitForPublic(isConfirmation(challenge.content.session_id), "31340")
      yield* pause(500)

      expect(wallet.dms.filter(isChallenge())).toHaveLength(1)
      expect(wallet.dms.filter(isFailure())).toEqual([])
      expect(wallet.publicEvents).toHaveLength(1)
      const sessions = yield* Context.get(gw.context, SessionService).list({ user_pubkey: wallet.pubkey })
      expect(sessions.map((s) => s.status)).toEqual(["completed"])
      const relays = (yield* gw.worker.status()).relays
      expect(relays.every((r) => r.events_received >= 2)).toBe(true)
      expect((yield* gw.worker.status()).stats).toMatchObject({ intents_received: 1, responses_received: 1 })
    }))

  it.scopedLive("an overwritten addressable intent: the newer version replaces the older, an older one arriving later is ignored", () =>
    Effect.gen(function*() {
      const { gw, relays: [r1], wallet } = yield* fundedWallet(2)
      const [only1, only2] = wallet.relays
      const to = recipient()
      const now = Math.floor(Date.now() / 1000)

      const v1 = yield* wallet.publishIntent(gw.nostrPubkey, { action_id: "act-v", intent: transfer(to, 1_000), created_at: now - 2, to: [only1!] })
      const c1 = yield* wallet.waitForDm(isChallenge(), "challenge for v1")
      const v2 = yield* wallet.publishIntent(gw.nostrPubkey, { action_id: "act-v", intent: transfer(to, 2_000), created_at: now - 1, to: [only1!] })
      const c2 = yield* wallet.waitForDm((dm) => isChallenge()(dm) && dm.content.session_id !== c1.content.session_id, "challenge for v2")
      expect(tag(c2.tags, "e")).toEqual([v2.id])
      expect(c2.content.human_readable_context).toContain("2000 BTC")
      // The relay kept only the newest version under (author, 31510, "act-v").
      expect((yield* r1.query({ kinds: [31510], authors: [wallet.pubkey] })).map((e) => e.id)).toEqual([v2.id])
      const sessions = Context.get(gw.context, SessionService)
      expect(yield* sessions.get(c1.content.session_id)).toMatchObject({ status: "failed" })
      expect((yield* sessions.get(c1.content.session_id)).failure_reason).toContain("superseded")

      // An even older version, through a relay that never saw v2, must not undo the replacement.
      const v0 = yield* wallet.publishIntent(gw.nostrPubkey, { action_id: "act-v", intent: transfer(to, 500), created_at: now - 3, to: [only2!] })
      expect(v0.id).not.toBe(v1.id)
      yield* pause(700)
      expect(wallet.dms.filter(isChallenge())).toHaveLength(2)

      yield* answer(wallet, gw.nostrPubkey, c1)
      const stale = yield* wallet.waitForDm(isFailure(c1.content.session_id), "failure for the superseded session")
      expect(stale.content.error).toBe("INVALID_STATE")
      yield* answer(wallet, gw.nostrPubkey, c2)
      const done = yield* wallet.waitForPublic(isConfirmation(c2.content.session_id), "31340 for v2")
      expect(JSON.parse(done.content)).toMatchObject({ amount: 2_000, action_id: "act-v" })
      expect(tag(done.tags, "e")).toEqual([v2.id])
    }))

  it.scopedLive("a newer version of an intent whose action was already signed is refused; the confirmation keeps the signed one", () =>
    Effect.gen(function*() {
      const { gw, wallet } = yield* fundedWallet()
      const to = recipient()
      const now = Math.floor(Date.now() / 1000)
      const v1 = yield* wallet.publishIntent(gw.nostrPubkey, { action_id: "act-once", intent: transfer(to, 3_000), created_at: now - 1 })
      const challenge = yield* wallet.waitForDm(isChallenge(), "challenge")
      yield* answer(wallet, gw.nostrPubkey, challenge)
      const done = yield* wallet.waitForPublic(isConfirmation(challenge.content.session_id), "31340")
      expect(tag(done.tags, "e")).toEqual([v1.id])

      const v2 = yield* wallet.publishIntent(gw.nostrPubkey, { action_id: "act-once", intent: transfer(to, 9_000), created_at: now })
      const refused = yield* wallet.waitForDm((dm) => isFailure()(dm) && tag(dm.tags, "e").includes(v2.id), "refusal of v2")
      expect(refused.content).toMatchObject({ code: 1006, error: "ACTION_ALREADY_PROCESSED", action_id: "act-once" })
      expect(wallet.dms.filter(isChallenge())).toHaveLength(1)
      expect((yield* Context.get(gw.context, SessionService).list({ user_pubkey: wallet.pubkey })).map((s) => s.status)).toEqual(["completed"])
    }))

  it.scopedLive("expired intents (expires_at or NIP-40), intents from the far future and malformed ones get no challenge", () =>
    Effect.gen(function*() {
      const relay = yield* startRelay()
      const wallet = yield* makeWallet([relay.url])
      const gwProbe = generateSecretKey()
      const gwPub = getPublicKey(gwProbe)
      const now = Math.floor(Date.now() / 1000)
      // Stored before the worker starts; its NIP-40 expiration passes before the worker reads it.
      yield* wallet.publishIntent(gwPub, { action_id: "act-nip40", intent: transfer(recipient()), extraTags: [["expiration", String(now + 1)]] })
      yield* pause(2_100)
      const gw = yield* startGateway([relay.url], { NOSTR_PRIVATE_KEY: Buffer.from(gwProbe).toString("hex") })
      expect(gw.nostrPubkey).toBe(gwPub)

      yield* wallet.publishIntent(gwPub, { action_id: "act-expired", intent: transfer(recipient()), expires_in_seconds: -5 })
      yield* wallet.publishIntent(gwPub, { action_id: "act-future", intent: transfer(recipient()), created_at: now + 3_600 })
      const wrongD = wallet.sign({
        kind: 31510,
        tags: [["d", "something-else"], ["p", gwPub]],
        content: JSON.stringify({ action_id: "act-d", intent: transfer(recipient()), expires_at: now + 600 })
      })
      yield* wallet.publishSigned(wrongD)
      yield* wallet.publishIntent(gwPub, { action_id: "act-bad-amount", intent: transfer(recipient(), -1) })
      yield* wallet.publishIntent(gwPub, { action_id: "act-fine", intent: transfer(recipient()) })

      const ok = yield* wallet.waitForDm(isChallenge(), "challenge for the valid intent")
      expect(ok.content.action_id).toBe("act-fine")
      const failures = yield* Effect.gen(function*() {
        for (let i = 0; i < 100 && wallet.dms.filter(isFailure()).length < 2; i++) yield* pause(50)
        return wallet.dms.filter(isFailure())
      })
      expect(failures.map((f) => [f.content.action_id, f.content.error]).sort()).toEqual([
        ["act-bad-amount", "INVALID_INTENT"],
        ["act-d", "INVALID_INTENT"]
      ])
      expect(wallet.dms.filter(isChallenge())).toHaveLength(1)
      expect((yield* gw.worker.status()).stats.intents_ignored).toBe(3)
    }))
})
