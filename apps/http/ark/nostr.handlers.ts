import { createHash, timingSafeEqual } from "node:crypto"
import { HttpApiBuilder, type HttpServerRequest } from "@effect/platform"
import { Clock, Effect, Either, Option, Redacted } from "effect"
import { nip19 } from "nostr-tools"
import * as nip44 from "nostr-tools/nip44"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { randomUuid } from "../../../core/shared/random.js"
import { normalizeXOnlyPubkey } from "../../../core/shared/pubkey.js"
import { toIso } from "../../../core/shared/time.js"
import type { PublishReport, RelayState } from "../../../ports/nostr-bus.js"
import { ServerConfig } from "../../config.js"
import { NostrWorker, type WorkerStatus } from "../../worker/controller.js"
import { KIND } from "../../worker/protocol.js"
import { RelaygateApi } from "../api.js"
import { optionalJsonBody } from "../body.js"
import { ArkRouteNotFound, ArkValidationError } from "./errors.js"
import { AdminKeyRejected, PublishTestBody, SendDmBody, TestEncryptionBody } from "./nostr.js"
import { arkInvalid } from "./unavailable.js"

const TEST_EVENT_KIND = 30078
const TEST_EVENT_TTL_SECONDS = 600

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest()

/** Equal-length digests, so the comparison takes the same time whatever the inputs. */
const sameKey = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected))

const relayView = (r: RelayState) => ({ ...r, connected_since: r.connected_since === null ? null : toIso(r.connected_since) })

const relaysView = (relays: ReadonlyArray<RelayState>) => ({
  relays: relays.map(relayView),
  connected: relays.filter((r) => r.status === "connected").length,
  total: relays.length
})

const statusView = (s: WorkerStatus) => ({
  configured: s.configured,
  running: s.running,
  pubkey: s.pubkey,
  npub: s.pubkey === null ? null : nip19.npubEncode(s.pubkey),
  started_at: s.started_at === null ? null : toIso(s.started_at),
  relays: relaysView(s.relays),
  stats: s.stats,
  kinds: KIND
})

const publishFields = (report: PublishReport) => ({
  sent: report.accepted.length * 2 > report.relays,
  relays: report.relays,
  accepted: report.accepted,
  rejected: report.rejected
})

/** A publish that missed the majority is still an answer here: the caller sees where it landed. */
const reportOf = <A extends { readonly report: PublishReport }, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchIf(
    effect,
    (e): e is E & { readonly _tag: "NostrPublishFailed"; readonly report: PublishReport } =>
      typeof e === "object" && e !== null && "_tag" in e && e._tag === "NostrPublishFailed",
    (e) => Effect.succeed({ report: e.report, failed: true as const })
  )

export const NostrLive = HttpApiBuilder.group(RelaygateApi, "nostr", (handlers) =>
  Effect.gen(function*() {
    const worker = yield* NostrWorker
    const { adminApiKey } = yield* ServerConfig

    /** Without ADMIN_API_KEY these routes do not exist; with it, the header must match. */
    const requireAdmin = (
      request: HttpServerRequest.HttpServerRequest,
      given: string | undefined
    ): Effect.Effect<void, ArkRouteNotFound | AdminKeyRejected> =>
      Option.match(adminApiKey, {
        onNone: () => Effect.fail(new ArkRouteNotFound({ method: request.method, path: request.url.split("?")[0] ?? request.url })),
        onSome: (key) => (given !== undefined && sameKey(given, Redacted.value(key)) ? Effect.void : Effect.fail(new AdminKeyRejected()))
      })

    return handlers
      .handle("start", ({ headers, request }) =>
        requireAdmin(request, headers["x-admin-key"]).pipe(Effect.zipRight(worker.start()), Effect.map(statusView)))
      .handle("stop", ({ headers, request }) =>
        requireAdmin(request, headers["x-admin-key"]).pipe(Effect.zipRight(worker.stop()), Effect.map(statusView)))
      .handle("status", () => worker.status().pipe(Effect.map(statusView)))
      .handle("relays", () => worker.status().pipe(Effect.map((s) => relaysView(s.relays))))
      .handle("sendDm", ({ headers, request }) =>
        Effect.gen(function*() {
          yield* requireAdmin(request, headers["x-admin-key"])
          const body = yield* optionalJsonBody(request, SendDmBody, arkInvalid)
          const bus = yield* worker.bus()
          const recipient = normalizeXOnlyPubkey(body.recipient_pubkey)!
          const sent = yield* reportOf(
            bus.sendDirectMessage(recipient, { kind: body.kind, tags: [["p", recipient]], content: body.content })
          ).pipe(
            Effect.catchTag("NostrInvalidPeer", () =>
              Effect.fail(new ArkValidationError({ detail: "recipient_pubkey: not a point on secp256k1" })))
          )
          return {
            wrap_id: sent.report.event_id,
            rumor_id: "rumor" in sent ? sent.rumor.id : null,
            kind: body.kind,
            recipient_pubkey: recipient,
            ...publishFields(sent.report)
          }
        }))
      .handle("publishTest", ({ headers, request }) =>
        Effect.gen(function*() {
          yield* requireAdmin(request, headers["x-admin-key"])
          const body = yield* optionalJsonBody(request, PublishTestBody, arkInvalid)
          const bus = yield* worker.bus()
          const d = `relaygate/publish-test/${yield* randomUuid}`
          const expires = Math.floor((yield* Clock.currentTimeMillis) / 1000) + TEST_EVENT_TTL_SECONDS
          const published = yield* reportOf(bus.publish({
            kind: TEST_EVENT_KIND,
            tags: [["d", d], ["expiration", String(expires)], ["t", "relaygate-test"]],
            content: body.content ?? "relaygate publish test"
          }))
          return {
            event_id: published.report.event_id,
            kind: TEST_EVENT_KIND,
            d,
            expires_at: toIso(expires * 1000),
            ...publishFields(published.report)
          }
        }))
      .handle("testEncryption", ({ request }) =>
        Effect.gen(function*() {
          const body = yield* optionalJsonBody(request, TestEncryptionBody, arkInvalid)
          const bus = yield* worker.bus()
          const plaintext = body.plaintext ?? "relaygate NIP-44 v2 self-test ✓"
          const peerKey = generateSecretKey()
          const peer = getPublicKey(peerKey)
          const peerSide = nip44.v2.utils.getConversationKey(peerKey, bus.pubkey)
          const ciphertext = yield* Effect.orDie(bus.encrypt(peer, plaintext))
          const peerDecrypts = Either.getOrElse(
            Either.try(() => nip44.v2.decrypt(ciphertext, peerSide) === plaintext),
            () => false
          )
          const gatewayDecrypts = yield* bus.decrypt(peer, nip44.v2.encrypt(plaintext, peerSide)).pipe(
            Effect.map((text) => text === plaintext),
            Effect.orElseSucceed(() => false)
          )
          return {
            ok: peerDecrypts && gatewayDecrypts,
            algorithm: "nip44-v2" as const,
            gateway_pubkey: bus.pubkey,
            peer_pubkey: peer,
            ciphertext,
            peer_decrypts: peerDecrypts,
            gateway_decrypts: gatewayDecrypts
          }
        }))
  }))
