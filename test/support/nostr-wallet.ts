import { schnorr } from "@noble/curves/secp256k1.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import { Effect } from "effect"
import * as nip59 from "nostr-tools/nip59"
import { type Event, finalizeEvent, generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { Relay, useWebSocketImplementation } from "nostr-tools/relay"
import WebSocket from "ws"

useWebSocketImplementation(WebSocket)

/** A DM the wallet opened: the rumor nostr-tools unwrapped, its JSON content parsed. */
export interface OpenedDm {
  readonly kind: number
  readonly sender: string
  readonly tags: ReadonlyArray<ReadonlyArray<string>>
  readonly content: any
  readonly wrap: Event
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A wallet as a third party would write it with nostr-tools alone, from
 * docs/nostr.md: it publishes 31510 intents, reads gift-wrapped DMs addressed
 * to it (31511 challenges, 31341 failures), answers with gift-wrapped 31512
 * responses and watches public 31340 confirmations. It talks to each relay
 * it is given; relays that are down are skipped.
 */
export const makeWallet = (relayUrls: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const sk = generateSecretKey()
      const pubkey = getPublicKey(sk)
      const relays: Array<Relay> = []
      for (const url of relayUrls) {
        try {
          relays.push(await Relay.connect(url))
        } catch {
          // a relay that is down is simply not used
        }
      }
      const dms: Array<OpenedDm> = []
      const publicEvents: Array<Event> = []
      const seenWraps = new Set<string>()
      const seenPublic = new Set<string>()
      const since = Math.floor(Date.now() / 1000) - 3 * 24 * 3600
      for (const relay of relays) {
        relay.subscribe([{ kinds: [1059], "#p": [pubkey], since }], {
          onevent: (wrap) => {
            if (seenWraps.has(wrap.id)) return
            seenWraps.add(wrap.id)
            try {
              const rumor = nip59.unwrapEvent(wrap, sk)
              dms.push({ kind: rumor.kind, sender: rumor.pubkey, tags: rumor.tags, content: JSON.parse(rumor.content), wrap })
            } catch {
              // not for us, or not JSON
            }
          }
        })
        relay.subscribe([{ kinds: [31340], "#p": [pubkey], since }], {
          onevent: (e) => {
            if (seenPublic.has(e.id)) return
            seenPublic.add(e.id)
            publicEvents.push(e)
          }
        })
      }
      return { sk, pubkey, relays, dms, publicEvents }
    }),
    ({ relays }) => Effect.sync(() => relays.forEach((r) => r.close()))
  ).pipe(Effect.map(({ dms, pubkey, publicEvents, relays, sk }) => {
    const publishSigned = (event: Event, to: ReadonlyArray<Relay> = relays) =>
      Effect.promise(() => Promise.allSettled(to.map((r) => r.publish(event)))).pipe(Effect.as(event))
    const waitFor = <A>(find: () => A | undefined, what: string, ms = 15_000) =>
      Effect.promise(async () => {
        const start = Date.now()
        while (Date.now() - start < ms) {
          const found = find()
          if (found !== undefined) return found
          await sleep(20)
        }
        throw new Error(`wallet: no ${what} within ${ms} ms`)
      })
    return {
      pubkey,
      relays,
      dms,
      publicEvents,
      /** Signs any event template with the wallet key (for hand-made intents). */
      sign: (template: { kind: number; tags: Array<Array<string>>; content: string; created_at?: number }) =>
        finalizeEvent({ created_at: Math.floor(Date.now() / 1000), ...template }, sk),
      publishSigned,
      /** A 31510 intent addressed to the gateway. */
      publishIntent: (gateway: string, input: {
        readonly action_id: string
        readonly intent: Record<string, unknown>
        readonly type?: string
        readonly expires_in_seconds?: number
        readonly created_at?: number
        readonly extraTags?: Array<Array<string>>
        readonly to?: ReadonlyArray<Relay>
      }) => {
        const now = Math.floor(Date.now() / 1000)
        const event = finalizeEvent({
          kind: 31510,
          created_at: input.created_at ?? now,
          tags: [["d", input.action_id], ["p", gateway], ...(input.extraTags ?? [])],
          content: JSON.stringify({
            action_id: input.action_id,
            ...(input.type === undefined ? {} : { type: input.type }),
            intent: input.intent,
            expires_at: now + (input.expires_in_seconds ?? 600)
          })
        }, sk)
        return publishSigned(event, input.to)
      },
      /** BIP-340 over sha256(UTF-8 payload_to_sign), as docs/nostr.md says. */
      signChallenge: (payloadToSign: string) =>
        bytesToHex(schnorr.sign(sha256(new TextEncoder().encode(payloadToSign)), sk)),
      /** A gift-wrapped DM of `kind` with JSON `content` to `recipient`. */
      sendDm: (recipient: string, kind: number, content: unknown, tags: Array<Array<string>> = []) =>
        publishSigned(nip59.wrapEvent({ kind, content: JSON.stringify(content), tags }, sk, recipient)),
      waitForDm: (match: (dm: OpenedDm) => boolean, what: string, ms?: number) =>
        waitFor(() => dms.find(match), what, ms),
      waitForPublic: (match: (e: Event) => boolean, what: string, ms?: number) =>
        waitFor(() => publicEvents.find(match), what, ms)
    }
  }))

export type Wallet = Effect.Effect.Success<ReturnType<typeof makeWallet>>

export const pause = (ms: number) => Effect.promise(() => sleep(ms))
