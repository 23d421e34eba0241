import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { PacketQueries } from "../../../core/clearing/packets.service.js"
import { RelaygateApi } from "../api.js"
import { ClearingUser } from "./auth.js"
import { outage } from "./errors.js"
import { makeLimited } from "./limits.js"
import { analyticsJson, API_VERSION, congestionJson, duplicatesJson, expiredJson, packetJson } from "./views.js"

const PERIODS = { "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 } as const

export const ClearingPacketsLive = HttpApiBuilder.group(RelaygateApi, "clearing-packets", (handlers) =>
  Effect.gen(function*() {
    const queries = yield* PacketQueries
    const limited = yield* makeLimited
    return handlers
      .handle("stuck", ({ urlParams }) =>
        queries.stuck(urlParams).pipe(
          Effect.map(({ packets, total }) => ({ packets: packets.map(packetJson), total, api_version: API_VERSION })),
          limited,
          outage
        ))
      .handle("expiring", ({ urlParams }) =>
        queries.expiring({ ...urlParams, minutes: urlParams.minutes ?? 60 }).pipe(
          Effect.map((vs) => ({ packets: vs.map(packetJson), api_version: API_VERSION })),
          limited,
          outage
        ))
      .handle("expired", ({ urlParams }) =>
        queries.expired(urlParams).pipe(Effect.map((vs) => ({ packets: vs.map(expiredJson), api_version: API_VERSION })), limited, outage))
      .handle("duplicates", ({ urlParams }) => queries.duplicates(urlParams).pipe(Effect.map(duplicatesJson), limited, outage))
      .handle("analytics", ({ urlParams }) => {
        const period = urlParams.period ?? "24h"
        return queries.analytics({ chain_id: urlParams.chain_id ?? null, period_ms: PERIODS[period] }).pipe(
          Effect.map((a) => analyticsJson(a, period)),
          limited,
          outage
        )
      })
      .handle("packet", ({ path }) =>
        queries.get({ chain_id: path.chain_id, src_channel: path.channel, sequence: path.sequence }).pipe(
          Effect.map((v) => ({ packet: packetJson(v), api_version: API_VERSION })),
          limited,
          outage
        ))
      .handle("congestion", ({ urlParams }) => queries.congestion(urlParams).pipe(Effect.map(congestionJson), limited, outage))
  }))

export const ClearingUserPacketsLive = HttpApiBuilder.group(RelaygateApi, "clearing-user-packets", (handlers) =>
  Effect.gen(function*() {
    const queries = yield* PacketQueries
    const limited = yield* makeLimited
    return handlers
      .handle("byUser", ({ urlParams }) =>
        Effect.gen(function*() {
          yield* ClearingUser
          const all = yield* queries.byUser({ ...urlParams, limit: Number.MAX_SAFE_INTEGER, offset: 0 })
          const from = urlParams.offset ?? 0
          const page = all.slice(from, from + (urlParams.limit ?? 100))
          return { packets: page.map(packetJson), total: all.length, api_version: API_VERSION }
        }).pipe(limited, outage))
      .handle("transfers", ({ path, urlParams }) =>
        Effect.gen(function*() {
          yield* ClearingUser
          const direction = urlParams.direction ?? "both"
          const vs = yield* queries.transfers({ ...urlParams, address: path.address, direction })
          return { address: path.address, direction, transfers: vs.map(packetJson), api_version: API_VERSION }
        }).pipe(limited, outage))
  }))
