import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { normalizeXOnlyPubkey } from "../../../core/shared/pubkey.js"
import { IntentData, SESSION_STATUSES, SessionStatusInput, SessionType } from "../../../core/signing/model.js"
import * as Err from "./errors.js"
import { ChallengeView, SessionView } from "./views.js"

export const SessionId = HttpApiSchema.param("session_id", Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)))

export const NostrPubkey = Schema.String.pipe(
  Schema.filter((s) => normalizeXOnlyPubkey(s) !== undefined, {
    message: () => "must be a 64-hex x-only public key or an npub"
  })
)

export const CreateSessionBody = Schema.Struct({
  user_pubkey: NostrPubkey,
  session_type: SessionType,
  intent_data: Schema.optionalWith(IntentData, { default: () => ({}) })
})

export const RespondBody = Schema.Struct({
  signature: Schema.String.pipe(
    Schema.filter((s) => /^(0x)?[0-9a-fA-F]{128}$/.test(s), { message: () => "must be a 64-byte BIP-340 signature in hex" })
  ),
  user_pubkey: Schema.optional(NostrPubkey)
})

/** Optional bodies of /complete and /fail; an empty body is fine. */
export const CompleteBody = Schema.Struct({ result_data: Schema.optional(Schema.Unknown) })
export const FailBody = Schema.Struct({ reason: Schema.optional(Schema.String.pipe(Schema.maxLength(500))) })

export const ListParams = Schema.Struct({
  user_pubkey: Schema.optional(NostrPubkey),
  status: Schema.optional(SessionStatusInput),
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000)))
})

export const SessionList = Schema.Struct({ sessions: Schema.Array(SessionView), count: Schema.Number })

export const CleanupResult = Schema.Struct({ expired_sessions: Schema.Number, timed_out_ceremonies: Schema.Number })

export const SessionStats = Schema.Struct({
  total: Schema.Number,
  active: Schema.Number,
  by_status: Schema.Record({ key: Schema.Literal(...SESSION_STATUSES), value: Schema.Number })
})

export const RespondResult = Schema.Struct({
  ...SessionView.fields,
  verified: Schema.Literal(true)
})

/** Ark signing sessions: create, challenge, respond, complete, fail, list, sweep, stats. */
export class SessionsApi extends HttpApiGroup.make("sessions")
  .add(
    HttpApiEndpoint.post("create", "/sessions/create")
      .setPayload(CreateSessionBody)
      .addSuccess(SessionView, { status: 201 })
      .addError(Err.InvalidIntentBody)
  )
  .add(HttpApiEndpoint.get("list", "/sessions").setUrlParams(ListParams).addSuccess(SessionList))
  .add(HttpApiEndpoint.post("cleanup", "/sessions/cleanup").addSuccess(CleanupResult))
  .add(HttpApiEndpoint.get("stats", "/sessions/stats").addSuccess(SessionStats))
  .add(HttpApiEndpoint.get("get")`/sessions/${SessionId}`.addSuccess(SessionView))
  .add(
    HttpApiEndpoint.post("challenge")`/sessions/${SessionId}/challenge`
      .addSuccess(ChallengeView, { status: 201 })
      .addError(Err.InvalidStateBody)
      .addError(Err.SessionExpiredBody)
  )
  .add(
    HttpApiEndpoint.post("respond")`/sessions/${SessionId}/respond`
      .setPayload(RespondBody)
      .addSuccess(RespondResult)
      .addError(Err.InvalidSignatureBody)
      .addError(Err.InvalidStateBody)
      .addError(Err.ChallengeUsedBody)
      .addError(Err.ChallengeExpiredBody)
      .addError(Err.SessionExpiredBody)
      .addError(Err.PubkeyMismatchBody)
  )
  .add(
    HttpApiEndpoint.post("complete")`/sessions/${SessionId}/complete`
      .addSuccess(SessionView)
      .addError(Err.InvalidStateBody)
      .addError(Err.SessionExpiredBody)
      .annotate(OpenApi.Description, "Optional JSON body: { \"result_data\": any }")
  )
  .add(
    HttpApiEndpoint.post("fail")`/sessions/${SessionId}/fail`
      .addSuccess(SessionView)
      .addError(Err.InvalidStateBody)
      .addError(Err.SessionExpiredBody)
      .annotate(OpenApi.Description, "Optional JSON body: { \"reason\": string }")
  )
  .addError(Err.ValidationErrorBody)
  .addError(Err.SessionNotFoundBody)
  .addError(Err.ServiceUnavailableBody)
  .annotate(OpenApi.Title, "Ark sessions")
{}
