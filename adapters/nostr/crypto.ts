import { schnorr } from "@noble/curves/secp256k1.js"
import * as nip44 from "nostr-tools/nip44"
import { finalizeEvent, generateSecretKey, getEventHash, getPublicKey } from "nostr-tools/pure"
import { Effect } from "effect"
import { hexToBytes, isHexOfLength } from "../../core/shared/hex.js"
import type { EventTemplate, NostrEvent, Rumor } from "../../ports/nostr-bus.js"
import type { SchnorrVerifier } from "../../ports/schnorr-verifier.js"

export const SEAL_KIND = 13
export const GIFT_WRAP_KIND = 1059
/** NIP-59: seals and wraps carry a random time up to two days in the past. */
export const GIFT_WRAP_BACKDATE_SECONDS = 2 * 24 * 60 * 60

/** Far more than a NIP-44 payload can be (64 KiB plaintext, base64): anything bigger is not decrypted at all. */
const MAX_PAYLOAD_CHARS = 200_000

const isTags = (v: unknown): v is ReadonlyArray<ReadonlyArray<string>> =>
  Array.isArray(v) && v.every((t) => Array.isArray(t) && t.every((x) => typeof x === "string"))

const isTimestamp = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0

/** The NIP-01 shape, checked before any hashing: lower-case hex of the right lengths, integer kind and time. */
export const isEventShape = (v: unknown): v is NostrEvent => {
  if (typeof v !== "object" || v === null) return false
  const e = v as Record<string, unknown>
  return typeof e["id"] === "string" && isLowerHex(e["id"], 32) &&
    typeof e["pubkey"] === "string" && isLowerHex(e["pubkey"], 32) &&
    typeof e["sig"] === "string" && isLowerHex(e["sig"], 64) &&
    isTimestamp(e["created_at"]) && Number.isSafeInteger(e["kind"]) && (e["kind"] as number) >= 0 &&
    isTags(e["tags"]) && typeof e["content"] === "string"
}

const isLowerHex = (s: string, bytes: number) => isHexOfLength(s, bytes) && s === s.toLowerCase()

const isRumorShape = (v: unknown): v is Rumor => {
  if (typeof v !== "object" || v === null) return false
  const e = v as Record<string, unknown>
  return typeof e["id"] === "string" && isLowerHex(e["id"], 32) &&
    typeof e["pubkey"] === "string" && isLowerHex(e["pubkey"], 32) &&
    isTimestamp(e["created_at"]) && Number.isSafeInteger(e["kind"]) && isTags(e["tags"]) && typeof e["content"] === "string"
}

/** The NIP-01 id: sha256 of the canonical serialization, recomputed (never a cached verdict). */
const computeId = (e: Omit<Rumor, "id">): string =>
  getEventHash({ pubkey: e.pubkey, created_at: e.created_at, kind: e.kind, tags: e.tags as Array<Array<string>>, content: e.content })

/**
 * Verifies an event's id and BIP-340 signature from its fields alone. nostr-tools'
 * `verifyEvent` caches its verdict in a symbol on the object (copied by a
 * spread), so it is not used for anything that arrived from outside.
 */
export const verifyEvent = (verifier: typeof SchnorrVerifier.Service) => (e: NostrEvent): Effect.Effect<boolean> =>
  computeId(e) !== e.id
    ? Effect.succeed(false)
    : verifier.verify(hexToBytes(e.sig), hexToBytes(e.id), hexToBytes(e.pubkey))

/** An x-only key (lower-case hex) that lifts to a curve point, i.e. one a conversation key can be derived with. */
export const isPoint = (pubkey: string): boolean => {
  if (!isLowerHex(pubkey, 32)) return false
  try {
    schnorr.utils.lift_x(BigInt(`0x${pubkey}`))
    return true
  } catch {
    return false
  }
}

export interface CacheStats {
  readonly size: number
  readonly hits: number
  readonly misses: number
}

/**
 * NIP-44 v2 under one private key, with the conversation key (an ECDH plus
 * HKDF, the expensive part) cached per peer in a bounded LRU. A gift wrap's
 * outer layer uses a one-time key, so only the seal layer benefits; that is
 * the one shared with a wallet across every message of a session.
 */
export const makeCipher = (privateKey: Uint8Array, maxPeers = 10_000) => {
  const key = Uint8Array.from(privateKey)
  const pubkey = getPublicKey(key)
  const cache = new Map<string, Uint8Array>()
  let hits = 0
  let misses = 0

  const conversationKey = (peer: string): Uint8Array => {
    const cached = cache.get(peer)
    if (cached !== undefined) {
      hits++
      cache.delete(peer)
      cache.set(peer, cached)
      return cached
    }
    misses++
    const derived = nip44.v2.utils.getConversationKey(key, peer)
    cache.set(peer, derived)
    if (cache.size > maxPeers) cache.delete(cache.keys().next().value!)
    return derived
  }

  /** Throws on a peer key that is not a curve point. */
  const encrypt = (peer: string, plaintext: string): string => nip44.v2.encrypt(plaintext, conversationKey(peer))

  /** Throws on a bad MAC, a malformed payload or a peer key that is not a curve point. */
  const decrypt = (peer: string, payload: string): string => {
    if (payload.length > MAX_PAYLOAD_CHARS) throw new Error("payload too large")
    return nip44.v2.decrypt(payload, conversationKey(peer))
  }

  const randomPast = (nowSeconds: number) => {
    const r = globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!
    return nowSeconds - (r % GIFT_WRAP_BACKDATE_SECONDS)
  }

  /** NIP-59: rumor (unsigned) → seal (kind 13, signed by us) → wrap (kind 1059, one-time key, `p` = recipient). */
  const wrap = (recipient: string, rumorTemplate: Omit<EventTemplate, "created_at">, nowSeconds: number) => {
    const unsigned = {
      pubkey,
      created_at: nowSeconds,
      kind: rumorTemplate.kind,
      tags: rumorTemplate.tags.map((t) => [...t]),
      content: rumorTemplate.content
    }
    const rumor: Rumor = { ...unsigned, id: computeId(unsigned) }
    const seal = finalizeEvent({
      kind: SEAL_KIND,
      created_at: randomPast(nowSeconds),
      tags: [],
      content: encrypt(recipient, JSON.stringify(rumor))
    }, key)
    const oneTime = generateSecretKey()
    const wrapped = finalizeEvent({
      kind: GIFT_WRAP_KIND,
      created_at: randomPast(nowSeconds),
      tags: [["p", recipient]],
      content: nip44.v2.encrypt(JSON.stringify(seal), nip44.v2.utils.getConversationKey(oneTime, recipient))
    }, oneTime)
    return { rumor, wrap: wrapped as NostrEvent }
  }

  /**
   * Opens a wrap addressed to us (its own id and signature already verified).
   * Fails unless the seal is a kind 13 whose id and signature verify, the
   * rumor's id matches its content, and the rumor's author is the seal's.
   */
  const unwrap = (verifier: typeof SchnorrVerifier.Service) => (w: NostrEvent) =>
    Effect.gen(function*() {
      if (w.kind !== GIFT_WRAP_KIND) return yield* Effect.fail("not a gift wrap")
      if (w.content.length > MAX_PAYLOAD_CHARS) return yield* Effect.fail("wrap too large")
      const seal = yield* Effect.try({
        try: () => JSON.parse(nip44.v2.decrypt(w.content, nip44.v2.utils.getConversationKey(key, w.pubkey))) as unknown,
        catch: (e) => `wrap does not decrypt: ${e instanceof Error ? e.message : String(e)}`
      })
      if (!isEventShape(seal) || seal.kind !== SEAL_KIND) return yield* Effect.fail("the wrap does not hold a seal")
      if (!(yield* verifyEvent(verifier)(seal))) return yield* Effect.fail("the seal's id or signature does not verify")
      const rumor = yield* Effect.try({
        try: () => JSON.parse(decrypt(seal.pubkey, seal.content)) as unknown,
        catch: (e) => `seal does not decrypt: ${e instanceof Error ? e.message : String(e)}`
      })
      if (!isRumorShape(rumor)) return yield* Effect.fail("the seal does not hold a rumor")
      if (computeId(rumor) !== rumor.id) return yield* Effect.fail("the rumor's id does not match its content")
      if (rumor.pubkey !== seal.pubkey) return yield* Effect.fail("the rumor's author is not the seal's signer")
      const { id, pubkey: author, created_at, kind, tags, content } = rumor
      return { sender: seal.pubkey, rumor: { id, pubkey: author, created_at, kind, tags, content } satisfies Rumor }
    })

  const stats = (): CacheStats => ({ size: cache.size, hits, misses })

  return { pubkey, conversationKey, encrypt, decrypt, wrap, unwrap, stats }
}

export type Cipher = ReturnType<typeof makeCipher>
