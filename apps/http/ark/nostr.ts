import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { NostrNotConfigured, NostrNotRunning } from "../../worker/errors.js"
import { arkBody, RouteNotFoundBody, ValidationErrorBody } from "./errors.js"
import { NostrPubkey } from "./sessions.js"

/** X-Admin-Key is missing or does not match ADMIN_API_KEY. */
export class AdminKeyRejected extends Schema.TaggedError<AdminKeyRejected>()("AdminKeyRejected", {}) {
  override get message() {
    return "X-Admin-Key is missing or wrong"
  }
}

export const AdminKeyRejectedBody = arkBody(AdminKeyRejected, "UNAUTHORIZED", 401)
export const NostrNotConfiguredBody = arkBody(NostrNotConfigured, "NOSTR_NOT_CONFIGURED", 503)
export const NostrNotRunningBody = arkBody(NostrNotRunning, "NOSTR_NOT_RUNNING", 409)

const Iso = Schema.String.annotations({ description: "ISO-8601 instant" })

export const AdminHeaders = Schema.Struct({
  "x-admin-key": Schema.optional(Schema.String).annotations({ description: "ADMIN_API_KEY" })
})

export const RelayView = Schema.Struct({
  url: Schema.String,
  status: Schema.Literal("connecting", "connected", "disconnected"),
  connected_since: Schema.NullOr(Iso),
  failures: Schema.Number,
  last_error: Schema.NullOr(Schema.String),
  events_received: Schema.Number,
  invalid_events: Schema.Number,
  dropped: Schema.Struct({
    inbox_full: Schema.Number,
    malformed: Schema.Number,
    invalid_signature: Schema.Number,
    filter_mismatch: Schema.Number,
    duplicate: Schema.Number,
    undecryptable: Schema.Number,
    stale: Schema.Number
  }).annotations({ description: "Events this relay sent that were not delivered, by reason (docs/nostr.md)" }),
  pending_publishes: Schema.Number
})

export const RelaysView = Schema.Struct({
  relays: Schema.Array(RelayView),
  connected: Schema.Number,
  total: Schema.Number
})

export const NostrStatusView = Schema.Struct({
  configured: Schema.Boolean,
  running: Schema.Boolean,
  pubkey: Schema.NullOr(Schema.String).annotations({ description: "The worker's key (NOSTR_PRIVATE_KEY): wallets p-tag it in 31510 intents and DM it" }),
  npub: Schema.NullOr(Schema.String),
  started_at: Schema.NullOr(Iso),
  relays: RelaysView,
  stats: Schema.Struct({
    intents_received: Schema.Number,
    intents_ignored: Schema.Number,
    challenges_sent: Schema.Number,
    responses_received: Schema.Number,
    responses_ignored: Schema.Number,
    confirmations_published: Schema.Number,
    failures_sent: Schema.Number,
    publish_warnings: Schema.Number
  }),
  kinds: Schema.Struct({
    intent: Schema.Number,
    challenge: Schema.Number,
    response: Schema.Number,
    confirmation: Schema.Number,
    failure: Schema.Number
  })
})

const PublishFields = {
  /** A majority of the configured relays accepted it. */
  sent: Schema.Boolean,
  relays: Schema.Number,
  accepted: Schema.Array(Schema.String),
  rejected: Schema.Array(Schema.Struct({ relay: Schema.String, reason: Schema.String }))
}

export const SendDmBody = Schema.Struct({
  recipient_pubkey: NostrPubkey,
  content: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(16_384)),
  /** The rumor's kind; 14 (NIP-17 chat message) unless given. */
  kind: Schema.optionalWith(Schema.Number.pipe(Schema.int(), Schema.between(0, 65_535)), { default: () => 14 })
})

export const SendDmView = Schema.Struct({
  wrap_id: Schema.String,
  /** Null when no relay of a majority took it (the wrap is still re-sent as relays come back). */
  rumor_id: Schema.NullOr(Schema.String),
  kind: Schema.Number,
  recipient_pubkey: Schema.String,
  ...PublishFields
})

export const PublishTestBody = Schema.Struct({
  content: Schema.optional(Schema.String.pipe(Schema.maxLength(1_024)))
})

export const PublishTestView = Schema.Struct({
  event_id: Schema.String,
  kind: Schema.Number,
  d: Schema.String,
  expires_at: Iso,
  ...PublishFields
})

export const TestEncryptionBody = Schema.Struct({
  plaintext: Schema.optional(Schema.String.pipe(Schema.maxLength(4_096)))
})

export const TestEncryptionView = Schema.Struct({
  ok: Schema.Boolean,
  algorithm: Schema.Literal("nip44-v2"),
  gateway_pubkey: Schema.String,
  peer_pubkey: Schema.String.annotations({ description: "A one-time key made for this test" }),
  ciphertext: Schema.String.annotations({ description: "gateway → peer payload (base64)" }),
  peer_decrypts: Schema.Boolean,
  gateway_decrypts: Schema.Boolean
})

const admin = "Requires X-Admin-Key (ADMIN_API_KEY); 404 when ADMIN_API_KEY is unset."

/** The seed's Nostr helper routes: control and inspect the in-process worker, send test traffic. */
export class NostrApi extends HttpApiGroup.make("nostr")
  .add(
    HttpApiEndpoint.post("start", "/nostr/start")
      .setHeaders(AdminHeaders)
      .addSuccess(NostrStatusView)
      .annotate(OpenApi.Description, `Starts the worker (connects to NOSTR_RELAYS). ${admin}`)
  )
  .add(
    HttpApiEndpoint.post("stop", "/nostr/stop")
      .setHeaders(AdminHeaders)
      .addSuccess(NostrStatusView)
      .annotate(OpenApi.Description, `Stops the worker and closes its relay connections. ${admin}`)
  )
  .add(HttpApiEndpoint.get("status", "/nostr/status").addSuccess(NostrStatusView))
  .add(HttpApiEndpoint.get("relays", "/nostr/relays").addSuccess(RelaysView))
  .add(
    HttpApiEndpoint.post("sendDm", "/nostr/send-dm")
      .setHeaders(AdminHeaders)
      .addSuccess(SendDmView)
      .annotate(
        OpenApi.Description,
        `Sends a NIP-59 gift-wrapped, NIP-44 v2 encrypted DM. JSON body: { "recipient_pubkey": hex | npub, "content": string, "kind"?: number (14) }. ${admin}`
      )
  )
  .add(
    HttpApiEndpoint.post("publishTest", "/nostr/publish-test")
      .setHeaders(AdminHeaders)
      .addSuccess(PublishTestView)
      .annotate(
        OpenApi.Description,
        `Publishes a kind 30078 test event (unique d, NIP-40 expiry in 10 minutes). Optional JSON body: { "content"?: string }. ${admin}`
      )
  )
  .add(
    HttpApiEndpoint.post("testEncryption", "/nostr/test-encryption")
      .addSuccess(TestEncryptionView)
      .annotate(
        OpenApi.Description,
        "NIP-44 v2 round trip between the gateway key and a one-time key, checked both ways with nostr-tools. Optional JSON body: { \"plaintext\"?: string }"
      )
  )
  .addError(ValidationErrorBody)
  .addError(RouteNotFoundBody)
  .addError(AdminKeyRejectedBody)
  .addError(NostrNotConfiguredBody)
  .addError(NostrNotRunningBody)
  .annotate(OpenApi.Title, "Nostr worker")
{}
