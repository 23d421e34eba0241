import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { ClearingAuth } from "./auth.js"
import * as Err from "./errors.js"
import { AnalyticsJson, API_VERSION, CongestionJson, DuplicatesJson, ExpiredPacketJson, PacketJson, PacketList } from "./views.js"

const count = (description: string) =>
  Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative()).annotations({ description }))

const Page = {
  limit: count("max results, default 100"),
  offset: count("results to skip")
}

export const ChainIdParam = HttpApiSchema.param("chain_id", Schema.String)
export const ChannelParam = HttpApiSchema.param("channel", Schema.String.pipe(Schema.pattern(/^channel-\d+$/)))
export const SequenceParam = HttpApiSchema.param("sequence", Schema.NumberFromString.pipe(Schema.int(), Schema.positive()))
export const AddressParam = HttpApiSchema.param("address", Schema.String)

/** Chainpulse's packet REST API, answered from the chains' own events. Public. */
export class ClearingPacketsApi extends HttpApiGroup.make("clearing-packets")
  .add(
    HttpApiEndpoint.get("stuck", "/api/v1/packets/stuck")
      .setUrlParams(Schema.Struct({ min_age_seconds: count("default 900"), chain_id: Schema.optional(Schema.String), ...Page }))
      .addSuccess(PacketList)
      .annotate(OpenApi.Description, "Pending packets older than min_age_seconds, oldest first.")
  )
  .add(
    HttpApiEndpoint.get("expiring", "/api/v1/packets/expiring")
      .setUrlParams(Schema.Struct({ minutes: count("window, default 60"), ...Page }))
      .addSuccess(Schema.Struct({ packets: Schema.Array(PacketJson), api_version: Schema.Literal(API_VERSION) }))
      .annotate(OpenApi.Description, "Pending packets whose timestamp timeout falls within the window, soonest first.")
  )
  .add(
    HttpApiEndpoint.get("expired", "/api/v1/packets/expired")
      .setUrlParams(Schema.Struct({ chain_id: Schema.optional(Schema.String), ...Page }))
      .addSuccess(Schema.Struct({ packets: Schema.Array(ExpiredPacketJson), api_version: Schema.Literal(API_VERSION) }))
      .annotate(OpenApi.Description, "Undelivered packets past their timeout height or timestamp, or timed out on chain.")
  )
  .add(
    HttpApiEndpoint.get("duplicates", "/api/v1/packets/duplicates")
      .setUrlParams(Schema.Struct(Page))
      .addSuccess(DuplicatesJson)
      .annotate(OpenApi.Description, "Packets sharing the same data hash.")
  )
  .add(
    HttpApiEndpoint.get("analytics", "/api/v1/packets/analytics")
      .setUrlParams(Schema.Struct({ chain_id: Schema.optional(Schema.String), period: Schema.optional(Schema.Literal("24h", "7d", "30d")) }))
      .addSuccess(AnalyticsJson)
  )
  .add(
    HttpApiEndpoint.get("packet")`/api/v1/packets/${ChainIdParam}/${ChannelParam}/${SequenceParam}`
      .addSuccess(Schema.Struct({ packet: PacketJson, api_version: Schema.Literal(API_VERSION) }))
      .addError(Err.PacketNotFoundBody)
  )
  .add(
    HttpApiEndpoint.get("congestion", "/api/v1/channels/congestion")
      .setUrlParams(Schema.Struct({ min_age_seconds: count("what counts as stuck, default 900") }))
      .addSuccess(CongestionJson)
  )
  .addError(Err.TooManyRequestsBody)
  .addError(Err.ServiceUnavailableBody)
  .addError(Err.ValidationBody)
  .annotate(OpenApi.Title, "IBC packets")
{}

/** Packets of one user: protected by a bearer JWT. */
export class ClearingUserPacketsApi extends HttpApiGroup.make("clearing-user-packets")
  .add(
    HttpApiEndpoint.get("byUser", "/api/v1/packets/by-user")
      .setUrlParams(Schema.Struct({
        address: Schema.String,
        role: Schema.optional(Schema.Literal("sender", "receiver")),
        status: Schema.optional(Schema.Literal("all", "pending", "delivered", "expired")),
        ...Page
      }))
      .addSuccess(PacketList)
  )
  .add(
    HttpApiEndpoint.get("transfers")`/api/v1/users/${AddressParam}/transfers`
      .setUrlParams(Schema.Struct({ direction: Schema.optional(Schema.Literal("sent", "received", "both")), ...Page }))
      .addSuccess(Schema.Struct({
        address: Schema.String,
        direction: Schema.String,
        transfers: Schema.Array(PacketJson),
        api_version: Schema.Literal(API_VERSION)
      }))
  )
  .middleware(ClearingAuth)
  .addError(Err.TooManyRequestsBody)
  .addError(Err.ServiceUnavailableBody)
  .addError(Err.ValidationBody)
  .annotate(OpenApi.Title, "IBC packets of a user")
{}
