import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import * as Err from "./errors.js"
import { ChannelParam, SequenceParam } from "./packets.js"
import { FacadeCongestionJson, FacadePacketJson, FacadeStuckJson, MonitoringJson } from "./views.js"

const ChainParam = HttpApiSchema.param("chain", Schema.String)

/** Relayooor's facade over Chainpulse (metrics) and the packet store (packets). Public. */
export class ClearingFacadeApi extends HttpApiGroup.make("clearing-facade")
  .add(
    HttpApiEndpoint.get("monitoring", "/api/monitoring/data")
      .addSuccess(MonitoringJson)
      .annotate(OpenApi.Description, "Chains, channels and relayers from Chainpulse's metrics; empty when CHAINPULSE_URL is unset.")
  )
  .add(
    HttpApiEndpoint.get("stuck", "/api/packets/stuck")
      .addSuccess(FacadeStuckJson)
      .annotate(OpenApi.Description, "Stuck packets with sender, receiver and amount from the chains' events.")
  )
  .add(
    HttpApiEndpoint.get("packet")`/api/v1/chainpulse/packets/${ChainParam}/${ChannelParam}/${SequenceParam}`
      .addSuccess(FacadePacketJson)
      .addError(Err.PacketNotFoundBody)
  )
  .add(
    HttpApiEndpoint.get("congestion", "/api/v1/chainpulse/channels/congestion")
      .addSuccess(FacadeCongestionJson)
      .annotate(OpenApi.Description, "Stuck counts per channel from Chainpulse's metrics.")
  )
  .addError(Err.TooManyRequestsBody)
  .addError(Err.ServiceUnavailableBody)
  .addError(Err.ValidationBody)
  .annotate(OpenApi.Title, "Relayooor facade")
{}
