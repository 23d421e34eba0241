import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import { layer, parseMetrics } from "../../../adapters/chainpulse/metrics.js"
import { metricsCongestion, relayerStats, stuckTotal } from "../../../core/clearing/classification.machine.js"
import { ChainpulseMetrics } from "../../../ports/chainpulse-metrics.js"
import { chainpulseMetricsContract } from "../../contracts/chainpulse-metrics.js"
import { localHttp } from "../../support/local-http.js"

/** The real scrape, served byte for byte. */
const FIXTURE = readFileSync(new URL("../../../../shared/fixtures/chainpulse/metrics-snapshot.txt", import.meta.url))

const serving = (body: Buffer | string, status = 200) =>
  localHttp((_req, res) => {
    res.writeHead(status, { "content-type": "text/plain; version=0.0.4" })
    res.end(body)
  })

const chainpulseAt = (body: Buffer | string, status = 200) =>
  Layer.unwrapScoped(
    Effect.map(serving(body, status), (server) => layer({ url: `${server.url}/` }).pipe(Layer.provide(FetchHttpClient.layer)))
  )

const scrape = Effect.flatMap(ChainpulseMetrics, (m) => m.scrape())

chainpulseMetricsContract("HTTP scrape of the fixture", chainpulseAt(FIXTURE))

describe("Chainpulse /metrics adapter on the real scrape", () => {
  it.scoped("serves the fixture unchanged and asks for the Prometheus text format", () =>
    Effect.gen(function*() {
      const server = yield* serving(FIXTURE)
      yield* Effect.provide(scrape, layer({ url: server.url }).pipe(Layer.provide(FetchHttpClient.layer)))
      const [req] = server.requests()
      expect(req).toMatchObject({ method: "GET", url: "/metrics" })
      expect(req!.headers["accept"]).toContain("text/plain")
      expect(FIXTURE.length).toBe(57_512)
    }))

  it.effect("reads the three monitored chains and their counters, leaving unknown counters null", () =>
    Effect.provide(
      Effect.gen(function*() {
        const s = yield* scrape
        expect(s.chains_monitored).toBe(3)
        expect(s.chains.map((c) => c.chain_id)).toEqual(["cosmoshub-4", "neutron-1", "osmosis-1"])
        const by = new Map(s.chains.map((c) => [c.chain_id, c]))
        expect(by.get("osmosis-1")).toEqual({ chain_id: "osmosis-1", errors: null, packets: 159, reconnects: 10, txs: 2746 })
        expect(by.get("cosmoshub-4")).toMatchObject({ errors: 14, reconnects: 14, packets: null, txs: null })
        expect(by.get("neutron-1")).toMatchObject({ errors: 19, reconnects: 19, packets: null })
      }),
      chainpulseAt(FIXTURE)
    ))

  it.effect("totals 3177 stuck packets in both stuck metrics, with channel ids where dst_chain should be", () =>
    Effect.provide(
      Effect.gen(function*() {
        const s = yield* scrape
        expect(s.stuck).toHaveLength(77)
        expect(s.stuck_detailed).toHaveLength(77)
        expect(stuckTotal(s.stuck)).toBe(3177)
        expect(stuckTotal(s.stuck_detailed)).toBe(3177)
        for (const st of [...s.stuck, ...s.stuck_detailed]) {
          expect(st.src_chain).toBe("osmosis-1")
          expect(st.dst_label).toMatch(/^channel-\d+$/)
          expect(st.dst_chain_id).toBeNull()
          expect(st.dst_channel).toBe(st.dst_label)
        }
        expect(s.stuck_detailed.filter((d) => d.has_user_data === true)).toHaveLength(61)
        expect(s.stuck_detailed.filter((d) => d.has_user_data === false)).toHaveLength(16)
        expect(s.stuck.find((x) => x.src_channel === "channel-141")).toMatchObject({ dst_channel: "channel-0", count: 109 })
      }),
      chainpulseAt(FIXTURE)
    ))

  it.effect("keeps emoji, pipes and double spaces in relayer memos exactly", () =>
    Effect.provide(
      Effect.gen(function*() {
        const s = yield* scrape
        expect(s.effected).toHaveLength(69)
        expect(s.uneffected).toHaveLength(16)
        expect(s.frontruns).toHaveLength(16)
        const memos = new Set([...s.effected, ...s.uneffected].map((r) => r.memo))
        expect(memos).toContain("Relayed by IcyCRO 🧊 | hermes 1.9.0+a026d66 (https://hermes.informal.systems)")
        expect(memos).toContain("👾 Relayed by cosmosrescue | hermes 1.12.0 (https://hermes.informal.systems)")
        expect(memos).toContain("Blockval Relayer Service  | hermes 1.10.5+be0be09d (https://hermes.informal.systems)")
        expect(s.frontruns[0]).toMatchObject({
          signer: "osmo1p7d8mnjttcszv34pk2a5yyug3474mhff4twwa6",
          frontrunned_by: "osmo156vfr4kpaa0f07y673awf3u87eeemygl9tp72x",
          memo: "Relayed by IcyCRO 🧊 | hermes 1.9.0+a026d66 (https://hermes.informal.systems)"
        })
        for (const r of [...s.effected, ...s.uneffected]) {
          expect(r.src_port).toBe("transfer")
          expect(r.dst_port).toBe("transfer")
        }
        const icy = relayerStats(s).find((r) => r.signer === "osmo1p7d8mnjttcszv34pk2a5yyug3474mhff4twwa6")!
        expect(icy.memo).toContain("🧊")
        expect(icy.frontrun).toBeGreaterThan(0)
      }),
      chainpulseAt(FIXTURE)
    ))

  it.effect("joins every stuck channel with its packet age despite reversed channel pairs", () =>
    Effect.provide(
      Effect.gen(function*() {
        const s = yield* scrape
        expect(s.packet_ages).toHaveLength(77)
        const ages = s.packet_ages.map((a) => a.age_seconds)
        expect(Math.min(...ages)).toBe(999)
        expect(Math.max(...ages)).toBe(186028)
        const congestion = metricsCongestion(s)
        expect(congestion).toHaveLength(77)
        expect(congestion.every((c) => c.oldest_age_seconds !== null)).toBe(true)
        expect(congestion.find((c) => c.src_channel === "channel-141" && c.dst_channel === "channel-0")!.oldest_age_seconds).toBe(1213)
        expect(congestion.reduce((a, c) => a + c.stuck_count, 0)).toBe(3177)
      }),
      chainpulseAt(FIXTURE)
    ))
})

describe("Chainpulse adapter on broken scrapes (synthetic inputs)", () => {
  it("keeps a last line that has no newline and drops NaN samples", () => {
    const families = parseMetrics("# TYPE ibc_stuck_packets gauge\nibc_stuck_packets{src_chain=\"a-1\",src_channel=\"channel-1\",dst_chain=\"b-1\"} NaN\nibc_stuck_packets{src_chain=\"a-1\",src_channel=\"channel-2\",dst_chain=\"b-1\"} 4")
    expect(families[0]!.metrics).toHaveLength(2)
  })

  it.effect("reports a real chain id in dst_chain as a chain, not a channel", () =>
    Effect.provide(
      Effect.gen(function*() {
        const s = yield* scrape
        expect(s.stuck).toEqual([{ src_chain: "a-1", src_channel: "channel-2", dst_label: "b-1", dst_chain_id: "b-1", dst_channel: null, has_user_data: null, count: 4 }])
      }),
      chainpulseAt("ibc_stuck_packets{src_chain=\"a-1\",src_channel=\"channel-1\",dst_chain=\"b-1\"} NaN\nibc_stuck_packets{src_chain=\"a-1\",src_channel=\"channel-2\",dst_chain=\"b-1\"} 4")
    ))

  it.effect("fails as unavailable on garbage and on HTTP errors", () =>
    Effect.gen(function*() {
      const html = yield* Effect.flip(Effect.provide(scrape, chainpulseAt("<html>oops</html>\n")))
      expect(html).toMatchObject({ _tag: "ChainpulseUnavailable" })
      expect(html.reason).toContain("no metrics")
      const broken = yield* Effect.flip(Effect.provide(scrape, chainpulseAt("ibc_stuck_packets{src_chain=\"a-1\" 4\n")))
      expect(broken.reason).toContain("unreadable")
      const down = yield* Effect.flip(Effect.provide(scrape, chainpulseAt("nope", 503)))
      expect(down.reason).toContain("503")
    }))
})
