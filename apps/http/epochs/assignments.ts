import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import * as Err from "./errors.js"
import { EpochHistoryView, EpochView, StatsView, StatusResult } from "./views.js"

/**
 * Fields are accepted as any JSON value here and validated by the epochs core,
 * which answers one class-validator-style message per failed field (the
 * NestJS body clients parse). The annotations document the expected types.
 */
export const loose = (type: "string" | "integer" | "number" | "boolean" | "array", description: string) =>
  Schema.optional(Schema.Unknown.annotations({ description, jsonSchema: { type } }))

/** Query parameters are strings on the wire. */
export const SignedQuery = Schema.Struct({
  hotkey: Schema.optional(Schema.String.annotations({ description: "SS58 hotkey (network prefix 42)" })),
  signature: Schema.optional(Schema.String.annotations({ description: "sr25519 signature of the commitment, hex, 0x optional" })),
  timestamp: Schema.optional(Schema.String.annotations({ description: "Unix seconds, within ±5 minutes of server time" }))
})

export const EpochIdParam = HttpApiSchema.param("epochId", Schema.String)

export const StatusBody = Schema.Struct({
  hotkey: loose("string", "SS58 hotkey"),
  signature: loose("string", "sr25519 signature of `miner:status:{hotkey}:{epochId}:{timestamp}` (or `zipcode:status:{epochId}:{timestamp}`)"),
  timestamp: loose("integer", "Unix seconds"),
  epochId: loose("string", "e.g. 2025-10-01T16-00-00"),
  nonce: loose("string", "the epoch's nonce from /current"),
  status: loose("string", "IN_PROGRESS, COMPLETED, FAILED or TIMEOUT"),
  listingsScraped: loose("integer", "listings scraped so far"),
  zipcodesCompleted: loose("array", "[{ zipcode, listingsScraped, completedAt (ISO-8601) }]"),
  s3UploadComplete: loose("boolean", "whether the data is uploaded"),
  s3UploadTimestamp: loose("string", "ISO-8601")
})

/** Resi Labs zipcode assignments: current epoch, past epochs, miner status, system statistics. */
export class AssignmentsApi extends HttpApiGroup.make("epochs-assignments")
  .add(
    HttpApiEndpoint.get("current", "/api/v1/zipcode-assignments/current")
      .setUrlParams(SignedQuery)
      .addSuccess(EpochView)
      .addError(Err.NoCurrentEpochBody)
      .annotate(OpenApi.Description, "Commitment `zipcode:assignment:current:{timestamp}`. 10 requests per minute per hotkey.")
  )
  .add(
    HttpApiEndpoint.get("epoch")`/api/v1/zipcode-assignments/epoch/${EpochIdParam}`
      .setUrlParams(SignedQuery)
      .addSuccess(EpochHistoryView)
      .addError(Err.EpochNotFoundBody)
      .addError(Err.NoCurrentEpochBody)
      .annotate(OpenApi.Description, "Validators only. Commitment `zipcode:validation:{epochId}:{timestamp}`. 20 requests per hour per hotkey.")
  )
  .add(
    HttpApiEndpoint.post("status", "/api/v1/zipcode-assignments/status")
      .setPayload(StatusBody)
      .addSuccess(StatusResult)
      .addError(Err.EpochNotFoundBody)
      .addError(Err.NonceMismatchBody)
      .addError(Err.SubmissionClosedBody)
      .addError(Err.InvalidStatusTransitionBody)
      .annotate(OpenApi.Description, "Commitment `miner:status:{hotkey}:{epochId}:{timestamp}`. 5 requests per minute per hotkey.")
  )
  .add(
    HttpApiEndpoint.get("stats", "/api/v1/zipcode-assignments/stats")
      .addSuccess(StatsView)
      .annotate(OpenApi.Description, "Public. 30 requests per minute per client address.")
  )
  .addError(Err.InvalidRequestBody)
  .addError(Err.ValidationBody)
  .addError(Err.StaleTimestampBody)
  .addError(Err.InvalidSignatureBody)
  .addError(Err.SignatureReusedBody)
  .addError(Err.HotkeyNotRegisteredBody)
  .addError(Err.ValidatorPermitRequiredBody)
  .addError(Err.RateLimitedBody)
  .addError(Err.ServiceUnavailableBody)
  .annotate(OpenApi.Title, "Zipcode assignments")
{}
