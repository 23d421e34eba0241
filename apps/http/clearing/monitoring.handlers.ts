import { HttpApiBuilder } from "@effect/platform"
import { Effect, Option } from "effect"
import { metricsCongestion } from "../../../core/clearing/classification.machine.js"
import { ClearingConfig } from "../../../core/clearing/clearing.service.js"
import { PacketQueries } from "../../../core/clearing/packets.service.js"
import { RelaygateApi } from "../api.js"
import { outage } from "./errors.js"
import { makeLimited } from "./limits.js"
import { facadeCongestionJson, facadeStuckJson, monitoringJson, packetJson } from "./views.js"

export const ClearingFacadeLive = HttpApiBuilder.group(RelaygateApi, "clearing-facade", (handlers) =>
  Effect.gen(function*() {
    const queries = yield* PacketQueries
    const settings = yield* Effect.serviceOption(ClearingConfig)
    const limited = yield* makeLimited
    return handlers
      .handle("monitoring", () => queries.monitoring().pipe(Effect.map(monitoringJson), limited, outage))
      .handle("stuck", () => queries.stuck({ limit: 1_000 }).pipe(Effect.map(({ packets }) => facadeStuckJson(packets)), limited, outage))
      .handle("packet", ({ path }) =>
        queries.get({ chain_id: path.chain, src_channel: path.channel, sequence: path.sequence }).pipe(
          Effect.map((v) => {
            const s = Option.getOrUndefined(settings)
            const e = queries.eligibility(v, s?.minStuckAgeSeconds)
            const fee = s?.feePerPacket ?? null
            return {
              packet: packetJson(v),
              clearing_eligible: e.eligible,
              clearing_requirements: {
                needs_payment: true,
                fee: fee === null ? null : { amount: fee.amount.toString(), denom: fee.denom },
                payment_address: s?.payTo.get(v.packet.chain_id) ?? null,
                reason: e.reason
              }
            }
          }),
          limited,
          outage
        ))
      .handle("congestion", () =>
        queries.monitoring().pipe(Effect.map((m) => facadeCongestionJson(metricsCongestion(m.snapshot))), limited, outage))
  }))
