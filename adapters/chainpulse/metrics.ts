import { HttpClient } from "@effect/platform"
import { Clock, Duration, Effect, Layer } from "effect"
import parse, { type MetricFamily, type ValueSample } from "parse-prometheus-text-format"
import type {
  ChainCounters,
  ChainpulseSnapshot,
  FrontrunSample,
  NearTimeoutSample,
  PacketAgeSample,
  RelaySample,
  StuckSample
} from "../../core/clearing/model.js"
import { ChainpulseMetrics, ChainpulseUnavailable } from "../../ports/chainpulse-metrics.js"
import * as Breaker from "../resilience/breaker.js"

export interface ChainpulseSettings {
  /** CHAINPULSE_URL: base URL; `/metrics` is scraped. */
  readonly url: string
  readonly timeout?: Duration.DurationInput | undefined
}

type Labels = Readonly<Record<string, string>>
interface Sample {
  readonly labels: Labels
  readonly value: number
}

const CHANNEL_ID = /^channel-\d+$/

/**
 * Chainpulse labels a channel id as `dst_chain`; sort the label into the field
 * it really is instead of passing a channel off as a chain.
 */
const destination = (label: string) =>
  CHANNEL_ID.test(label) ? { dst_chain_id: null, dst_channel: label } : { dst_chain_id: label === "" ? null : label, dst_channel: null }

/** Value samples per family name; families split in the scrape are joined, non-finite values dropped. */
const samplesByName = (families: ReadonlyArray<MetricFamily>): ReadonlyMap<string, ReadonlyArray<Sample>> => {
  const out = new Map<string, Array<Sample>>()
  for (const f of families) {
    const list = out.get(f.name) ?? []
    for (const m of f.metrics) {
      if (!("value" in m)) continue
      const value = Number((m as ValueSample).value)
      if (Number.isFinite(value)) list.push({ labels: m.labels ?? {}, value })
    }
    out.set(f.name, list)
  }
  return out
}

/** Turns a parsed scrape into the typed snapshot; labels are kept as found, emoji and all. */
export const toSnapshot = (families: ReadonlyArray<MetricFamily>, scrapedAt: number): ChainpulseSnapshot => {
  const by = samplesByName(families)
  const get = (name: string) => by.get(name) ?? []
  const l = (s: Sample, key: string) => s.labels[key] ?? ""

  const counters = new Map<string, { -readonly [K in keyof ChainCounters]: ChainCounters[K] }>()
  for (const [metric, field] of [["chainpulse_errors", "errors"], ["chainpulse_packets", "packets"], ["chainpulse_reconnects", "reconnects"], ["chainpulse_txs", "txs"]] as const) {
    for (const s of get(metric)) {
      const id = l(s, "chain_id")
      const row = counters.get(id) ?? { chain_id: id, errors: null, packets: null, reconnects: null, txs: null }
      row[field] = (row[field] ?? 0) + s.value
      counters.set(id, row)
    }
  }

  const relay = (s: Sample): RelaySample => ({
    chain_id: l(s, "chain_id"),
    src_port: l(s, "src_port"),
    src_channel: l(s, "src_channel"),
    dst_port: l(s, "dst_port"),
    dst_channel: l(s, "dst_channel"),
    signer: l(s, "signer"),
    memo: l(s, "memo"),
    count: s.value
  })
  const frontrun = (s: Sample): FrontrunSample => ({ ...relay(s), frontrunned_by: l(s, "frontrunned_by"), effected_memo: l(s, "effected_memo") })
  const stuck = (s: Sample): StuckSample => {
    const dst = destination(l(s, "dst_chain"))
    const explicit = s.labels["dst_channel"]
    const userData = s.labels["has_user_data"]
    return {
      src_chain: l(s, "src_chain"),
      src_channel: l(s, "src_channel"),
      dst_label: l(s, "dst_chain"),
      dst_chain_id: dst.dst_chain_id,
      dst_channel: explicit !== undefined && explicit !== "" ? explicit : dst.dst_channel,
      has_user_data: userData === "true" ? true : userData === "false" ? false : null,
      count: s.value
    }
  }
  const age = (s: Sample): PacketAgeSample => ({
    src_chain: l(s, "src_chain"),
    channel: l(s, "channel"),
    dst_label: l(s, "dst_chain"),
    age_seconds: s.value
  })
  const nearTimeout = (s: Sample): NearTimeoutSample => ({
    src_chain: l(s, "src_chain"),
    dst_chain: l(s, "dst_chain"),
    src_channel: l(s, "src_channel"),
    dst_channel: l(s, "dst_channel"),
    timeout_type: s.labels["timeout_type"] ?? null,
    count: s.value
  })

  return {
    scraped_at: scrapedAt,
    chains_monitored: get("chainpulse_chains")[0]?.value ?? null,
    chains: Array.from(counters.values()).sort((a, b) => (a.chain_id < b.chain_id ? -1 : 1)),
    effected: get("ibc_effected_packets").map(relay),
    uneffected: get("ibc_uneffected_packets").map(relay),
    frontruns: get("ibc_frontrun_counter").map(frontrun),
    stuck: get("ibc_stuck_packets").map(stuck),
    stuck_detailed: get("ibc_stuck_packets_detailed").map(stuck),
    packet_ages: get("ibc_packet_age_seconds").map(age),
    near_timeout: get("ibc_packets_near_timeout").map(nearTimeout)
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

const hasUsableSample = (f: MetricFamily): boolean =>
  METRIC_NAME.test(f.name) && f.metrics.some((m) => "value" in m && Number.isFinite(Number((m as ValueSample).value)))

/** Parses Prometheus text; the parser silently drops a last line without a newline. */
export const parseMetrics = (text: string): ReadonlyArray<MetricFamily> => parse(text.endsWith("\n") ? text : `${text}\n`)

export const make = (settings: ChainpulseSettings) =>
  Effect.gen(function*() {
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
    const url = `${settings.url.replace(/\/+$/, "")}/metrics`
    const timeout = settings.timeout ?? "10 seconds"
    const breaker = yield* Breaker.registered("chainpulse")
    return ChainpulseMetrics.of({
      scrape: Effect.fn("ChainpulseMetrics.scrape")(function*() {
        const text = yield* client.get(url, { headers: { accept: "text/plain; version=0.0.4" } }).pipe(
          Effect.flatMap((res) => res.text),
          Effect.scoped,
          Effect.timeoutFail({ duration: timeout, onTimeout: () => new ChainpulseUnavailable({ reason: `no answer from ${url} within ${Duration.format(timeout)}` }) }),
          Effect.catchTags({
            RequestError: (e) => Effect.fail(new ChainpulseUnavailable({ reason: `cannot reach ${url}`, cause: e })),
            ResponseError: (e) => Effect.fail(new ChainpulseUnavailable({ reason: `${url} answered ${e.response.status}`, cause: e }))
          }),
          (scrape) => breaker.guard(scrape, { isOutage: () => true, onOpen: (open) => new ChainpulseUnavailable({ reason: open.message, cause: open }) })
        )
        const families = yield* Effect.try({
          try: () => parseMetrics(text),
          catch: (e) => new ChainpulseUnavailable({ reason: `unreadable metrics: ${e instanceof Error ? e.message : String(e)}`, cause: e })
        })
        // The parser is lenient: an HTML error page from a proxy comes out as odd
        // "families" without a single usable sample. Chainpulse always exports some.
        if (!families.some(hasUsableSample)) return yield* Effect.fail(new ChainpulseUnavailable({ reason: `no metrics in the answer from ${url}` }))
        return toSnapshot(families, yield* Clock.currentTimeMillis)
      })
    })
  })

export const layer = (settings: ChainpulseSettings) => Layer.effect(ChainpulseMetrics, make(settings))
