import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as nip44 from "nostr-tools/nip44"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { makeCipher } from "../../../adapters/nostr/crypto.js"
import { make as makeVerifier } from "../../../adapters/crypto/schnorr-libsecp.js"
import { hexToBytes } from "../../../core/shared/hex.js"

const key = (n: number) => hexToBytes(n.toString(16).padStart(64, "0"))

describe("NIP-44 v2 cipher with a conversation-key cache", () => {
  it("matches the NIP-44 v2 reference vector (sec1 = 1, sec2 = 2, nonce = 1, plaintext \"a\")", () => {
    const cipher = makeCipher(key(1))
    const peer = getPublicKey(key(2))
    expect(Buffer.from(cipher.conversationKey(peer)).toString("hex"))
      .toBe("c41c775356fd92eadc63ff5a0dc1da211b268cbea22316767095b2871ea1412d")
    expect(nip44.v2.encrypt("a", cipher.conversationKey(peer), key(1))).toBe(
      "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABee0G5VSK0/9YypIObAtDKfYEAjD35uVkHyB0F4DwrcNaCXlCWZKaArsGrY6M9wnuTMxWfp1RTN9Xga8no+kF5Vsb"
    )
  })

  it("derives a peer's conversation key once and keeps at most maxPeers", () => {
    const cipher = makeCipher(generateSecretKey(), 2)
    const [p1, p2, p3] = [1, 2, 3].map(() => getPublicKey(generateSecretKey()))
    cipher.encrypt(p1!, "x")
    cipher.encrypt(p1!, "y")
    expect(cipher.stats()).toEqual({ size: 1, hits: 1, misses: 1 })
    cipher.encrypt(p2!, "x")
    cipher.encrypt(p1!, "x") // p1 becomes the most recent, so p2 is the one evicted
    cipher.encrypt(p3!, "x")
    expect(cipher.stats()).toMatchObject({ size: 2, misses: 3 })
    cipher.encrypt(p1!, "x")
    expect(cipher.stats().misses).toBe(3)
  })

  it.effect("a wrap opens only for its recipient and names the sealing key as sender", () =>
    Effect.gen(function*() {
      const verifier = yield* makeVerifier
      const alice = makeCipher(generateSecretKey())
      const bobKey = generateSecretKey()
      const bob = makeCipher(bobKey)
      const now = Math.floor(Date.now() / 1000)
      const { rumor, wrap } = alice.wrap(bob.pubkey, { kind: 31511, tags: [["d", "s"]], content: "secret" }, now)
      expect(wrap.created_at).toBeLessThanOrEqual(now)
      expect(wrap.created_at).toBeGreaterThan(now - 2 * 24 * 3600)
      const opened = yield* bob.unwrap(verifier)(wrap)
      expect(opened).toEqual({ sender: alice.pubkey, rumor })
      const eve = makeCipher(generateSecretKey())
      expect(yield* Effect.flip(eve.unwrap(verifier)(wrap))).toContain("does not decrypt")
      // a second message to the same peer reuses the cached key on both sides
      yield* bob.unwrap(verifier)(alice.wrap(bob.pubkey, { kind: 1, tags: [], content: "again" }, now).wrap)
      expect(alice.stats()).toMatchObject({ size: 1, misses: 1, hits: 1 })
      expect(bob.stats()).toMatchObject({ size: 1, misses: 1, hits: 1 })
    }))
})
