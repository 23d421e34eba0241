import { Clock, Context, Effect, Layer, Option } from "effect"
import type { StoreUnavailable } from "../shared/errors.js"
import { type ChainpulseUnavailable, ChainpulseMetrics } from "../../ports/chainpulse-metrics.js"
import { PacketStore } from "../../ports/packet-store.js"
import {
  analytics,
  type ChannelActivity,
  type ChannelCongestion,
  channelActivity,
  channelCongestion,
  classify,
  type ClassifyContext,
  type DuplicateGroup,
  findDuplicates,
  isExpiringWithin,
  isStuck,
  linksMap,
  type MetricsCongestion,
  metricsCongestion,
  type PacketAnalytics,
  type RelayerStats,
  relayerStats
} from "./classification.machine.js"
import { PacketNotFound } from "./errors.js"
import { type ChainpulseSnapshot, type PacketKey, packetId, type PacketView } from "./model.js"

/** The spec's default for "stuck": 15 minutes without delivery. */
export const DEFAULT_MIN_STUCK_AGE_SECONDS = 900
export const DEFAULT_LIMIT = 100

export interface Page {
  readonly limit?: number | undefined
  readonly offset?: number | undefined
}

export interface ClearingEligibility {
  readonly eligible: boolean
  /** Why not, when not eligible. */
  readonly reason: string | null
}

export interface MonitoringData {
  readonly snapshot: ChainpulseSnapshot
  readonly relayers: ReadonlyArray<RelayerStats>
  readonly channels: ReadonlyArray<ChannelActivity>
  readonly congestion: ReadonlyArray<MetricsCongestion>
}

type Q<A> = Effect.Effect<A, StoreUnavailable>

/**
 * Read side of the clearing module: packets as the chains reported them,
 * classified at the current instant, plus the views derived from
 * Chainpulse's metrics. Nothing here invents a value a source did not give.
 */
export class PacketQueries extends Context.Tag("relaygate/clearing/PacketQueries")<
  PacketQueries,
  {
    readonly get: (key: PacketKey) => Effect.Effect<PacketView, PacketNotFound | StoreUnavailable>
    /** Pending packets older than `min_age_seconds`, oldest first, with the total before paging. */
    readonly stuck: (
      opts: Page & { readonly min_age_seconds?: number | undefined; readonly chain_id?: string | undefined }
    ) => Q<{ readonly packets: ReadonlyArray<PacketView>; readonly total: number }>
    readonly byUser: (
      opts: Page & {
        readonly address: string
        readonly role?: "sender" | "receiver" | undefined
        readonly status?: "all" | "pending" | "delivered" | "expired" | undefined
      }
    ) => Q<ReadonlyArray<PacketView>>
    /** Pending packets whose timestamp timeout is within `minutes`, soonest first. */
    readonly expiring: (opts: Page & { readonly minutes: number }) => Q<ReadonlyArray<PacketView>>
    /** Undelivered packets past their timeout (or timed out on chain), most recently expired first. */
    readonly expired: (opts: Page & { readonly chain_id?: string | undefined }) => Q<ReadonlyArray<PacketView>>
    readonly duplicates: (opts: Page) => Q<ReadonlyArray<DuplicateGroup>>
    readonly congestion: (opts: { readonly min_age_seconds?: number | undefined }) => Q<ReadonlyArray<ChannelCongestion>>
    readonly analytics: (opts: { readonly chain_id: string | null; readonly period_ms: number }) => Q<PacketAnalytics>
    readonly transfers: (
      opts: Page & { readonly address: string; readonly direction: "sent" | "received" | "both" }
    ) => Q<ReadonlyArray<PacketView>>
    readonly eligibility: (view: PacketView, minAgeSeconds?: number) => ClearingEligibility
    readonly monitoring: () => Effect.Effect<MonitoringData, ChainpulseUnavailable>
  }
>() {}

export const eligibility = (v: PacketView, minAgeSeconds: number = DEFAULT_MIN_STUCK_AGE_SECONDS): ClearingEligibility =>
  v.status === "delivered"
    ? { eligible: false, reason: "the packet has already been delivered" }
    : v.status === "expired"
    ? { eligible: false, reason: "the packet has timed out and can no longer be delivered" }
    : !isStuck(v, minAgeSeconds)
    ? { eligible: false, reason: `the packet is younger than ${minAgeSeconds} s; relayers may still deliver it` }
    : { eligible: true, reason: null }

const page = <A>(xs: ReadonlyArray<A>, p: Page): ReadonlyArray<A> => {
  const from = Math.max(0, p.offset ?? 0)
  return xs.slice(from, from + Math.max(0, p.limit ?? DEFAULT_LIMIT))
}

export const make = Effect.gen(function*() {
  const store = yield* PacketStore
  const metrics = yield* ChainpulseMetrics

  const context: Q<ClassifyContext> = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const heights = new Map((yield* store.heads()).map((h) => [h.chain_id, h.height]))
    return { now, heights, links: linksMap(yield* store.links()) }
  })

  return PacketQueries.of({
    get: Effect.fn("PacketQueries.get")(function*(key: PacketKey) {
      const found = yield* store.get(key)
      if (Option.isNone(found)) return yield* Effect.fail(new PacketNotFound({ packet_id: packetId(key) }))
      return classify(found.value, yield* context)
    }),
    stuck: Effect.fn("PacketQueries.stuck")(function*(opts) {
      const ctx = yield* context
      const minAge = opts.min_age_seconds ?? DEFAULT_MIN_STUCK_AGE_SECONDS
      const candidates = yield* store.list({ undelivered: true, chain_id: opts.chain_id, sent_before: ctx.now - minAge * 1000 })
      const stuck = candidates.map((p) => classify(p, ctx)).filter((v) => isStuck(v, minAge))
        .sort((a, b) => b.age_seconds - a.age_seconds || (a.id < b.id ? -1 : 1))
      return { packets: page(stuck, opts), total: stuck.length }
    }),
    byUser: Effect.fn("PacketQueries.byUser")(function*(opts) {
      const ctx = yield* context
      const status = opts.status ?? "all"
      const packets = yield* store.list({ address: opts.address, role: opts.role ?? "any" })
      const views = packets.map((p) => classify(p, ctx)).filter((v) => status === "all" || v.status === status)
      return page(views, opts)
    }),
    expiring: Effect.fn("PacketQueries.expiring")(function*(opts) {
      const ctx = yield* context
      const views = (yield* store.list({ undelivered: true })).map((p) => classify(p, ctx))
        .filter((v) => isExpiringWithin(v, opts.minutes))
        .sort((a, b) => a.expires_in_seconds! - b.expires_in_seconds! || (a.id < b.id ? -1 : 1))
      return page(views, opts)
    }),
    expired: Effect.fn("PacketQueries.expired")(function*(opts) {
      const ctx = yield* context
      const views = (yield* store.list({ undelivered: true, chain_id: opts.chain_id })).map((p) => classify(p, ctx))
        .filter((v) => v.status === "expired")
        .sort((a, b) => (a.seconds_since_timeout ?? Infinity) - (b.seconds_since_timeout ?? Infinity) || (a.id < b.id ? -1 : 1))
      return page(views, opts)
    }),
    duplicates: Effect.fn("PacketQueries.duplicates")(function*(opts) {
      const hashes = page(yield* store.duplicateHashes(), opts)
      const groups: Array<DuplicateGroup> = []
      for (const h of hashes) groups.push(...findDuplicates(yield* store.list({ data_hash: h.data_hash })))
      return groups
    }),
    congestion: Effect.fn("PacketQueries.congestion")(function*(opts) {
      const ctx = yield* context
      const minAge = opts.min_age_seconds ?? DEFAULT_MIN_STUCK_AGE_SECONDS
      const pending = yield* store.list({ undelivered: true, sent_before: ctx.now - minAge * 1000 })
      return channelCongestion(pending.map((p) => classify(p, ctx)), minAge)
    }),
    analytics: Effect.fn("PacketQueries.analytics")(function*(opts) {
      const ctx = yield* context
      const since = ctx.now - opts.period_ms
      const packets = yield* store.list({ chain_id: opts.chain_id ?? undefined, sent_after: since })
      return analytics(packets.map((p) => classify(p, ctx)), { chain_id: opts.chain_id, since })
    }),
    transfers: Effect.fn("PacketQueries.transfers")(function*(opts) {
      const ctx = yield* context
      const role = opts.direction === "sent" ? "sender" : opts.direction === "received" ? "receiver" : "any"
      const packets = yield* store.list({ address: opts.address, role, limit: opts.limit ?? DEFAULT_LIMIT, offset: opts.offset })
      return packets.map((p) => classify(p, ctx))
    }),
    eligibility,
    monitoring: Effect.fn("PacketQueries.monitoring")(function*() {
      const snapshot = yield* metrics.scrape()
      return {
        snapshot,
        relayers: relayerStats(snapshot),
        channels: channelActivity(snapshot),
        congestion: metricsCongestion(snapshot)
      }
    })
  })
})

export const layer = Layer.effect(PacketQueries, make)
