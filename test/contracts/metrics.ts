import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import parse from "parse-prometheus-text-format"
import { COUNTERS, GAUGES, HISTOGRAMS, Metrics } from "../../ports/metrics.js"

const families = (text: string): ReadonlyArray<{ name: string; type: string; metrics: ReadonlyArray<any> }> => parse(`${text}\n`)

/** The behaviour every Metrics adapter must have; each adapter's test calls this. */
export const metricsContract = <E>(name: string, layer: Layer.Layer<Metrics, E>) =>
  describe(`Metrics contract: ${name}`, () => {
    it.effect("exposes every family of the catalogue as parseable text", () =>
      Effect.gen(function*() {
        const metrics = yield* Metrics
        const { contentType, text } = yield* metrics.exposition
        expect(contentType).toMatch(/^text\/plain/)
        const byName = new Map(families(text).map((f) => [f.name, f]))
        for (const c of Object.keys(COUNTERS)) expect(byName.get(c)?.type).toBe("COUNTER")
        for (const h of Object.keys(HISTOGRAMS)) expect(byName.get(h)?.type).toBe("HISTOGRAM")
        for (const g of Object.keys(GAUGES)) expect(byName.get(g)?.type).toBe("GAUGE")
      }).pipe(Effect.provide(layer)))

    it.effect("counters add up per label set; histograms count observations", () =>
      Effect.gen(function*() {
        const metrics = yield* Metrics
        yield* metrics.increment("relaygate_ceremonies_total", { outcome: "completed" })
        yield* metrics.increment("relaygate_ceremonies_total", { outcome: "completed" }, 2)
        yield* metrics.increment("relaygate_ceremonies_total", { outcome: "failed" })
        yield* metrics.observe("relaygate_job_duration_seconds", { job: "x" }, 0.2)
        yield* metrics.observe("relaygate_job_duration_seconds", { job: "x" }, 3)
        const ceremonies = yield* metrics.read("relaygate_ceremonies_total")
        expect(ceremonies.find((s) => s.labels.outcome === "completed")?.value).toBe(3)
        expect(ceremonies.find((s) => s.labels.outcome === "failed")?.value).toBe(1)
        expect((yield* metrics.read("relaygate_job_duration_seconds")).find((s) => s.labels.job === "x")?.value).toBe(2)
        // parse-prometheus-text-format folds labelled histogram series into one sample without count or sum, so read those lines directly.
        const text = (yield* metrics.exposition).text
        expect(text).toContain(`relaygate_job_duration_seconds_count{job="x"} 2`)
        expect(text).toMatch(/relaygate_job_duration_seconds_sum\{job="x"\} 3\.2/)
        expect(text).toContain(`relaygate_job_duration_seconds_bucket{le="0.5",job="x"} 1`)
      }).pipe(Effect.provide(layer)))

    it.effect("a gauge shows its source's current samples at each read; a failing source shows none", () =>
      Effect.gen(function*() {
        const metrics = yield* Metrics
        let available = 12
        yield* metrics.gauge("relaygate_vtxos", Effect.sync(() => [{ labels: { asset_id: "BTC", status: "available" }, value: available }]))
        expect(yield* metrics.read("relaygate_vtxos")).toEqual([{ labels: { asset_id: "BTC", status: "available" }, value: 12 }])
        available = 3
        const text = (yield* metrics.exposition).text
        expect(text).toContain(`relaygate_vtxos{asset_id="BTC",status="available"} 3`)
        yield* metrics.gauge("relaygate_vtxos", Effect.fail("store down"))
        expect(yield* metrics.read("relaygate_vtxos")).toEqual([])
      }).pipe(Effect.provide(layer)))
  })
