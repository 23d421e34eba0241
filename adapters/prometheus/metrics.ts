import { Effect, Layer, Runtime } from "effect"
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client"
import {
  COUNTERS,
  type CounterName,
  GAUGES,
  type GaugeName,
  HISTOGRAMS,
  type HistogramName,
  type Labels,
  Metrics,
  type MetricName,
  type Sample
} from "../../ports/metrics.js"

export interface PrometheusOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC) next to relaygate's own. */
  readonly processMetrics?: boolean | undefined
}

const toSamples = (values: ReadonlyArray<{ readonly labels: object; readonly value: number }>): ReadonlyArray<Sample> =>
  values.map((v) => ({ labels: Object.fromEntries(Object.entries(v.labels).map(([k, x]) => [k, String(x)])), value: v.value }))

/**
 * prom-client on a registry of its own, so several apps in one process (tests,
 * an embedding solver) never share or clash on families.
 */
export const make = (options: PrometheusOptions = {}) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const registry = new Registry()
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "relaygate_" })

    const counters = Object.fromEntries(
      Object.entries(COUNTERS).map(([name, def]) => [name, new Counter({ name, help: def.help, labelNames: def.labels, registers: [registry] })])
    ) as Record<CounterName, Counter<string>>
    const histograms = Object.fromEntries(
      Object.entries(HISTOGRAMS).map(([name, def]) => [
        name,
        new Histogram({ name, help: def.help, labelNames: def.labels, buckets: [...def.buckets], registers: [registry] })
      ])
    ) as Record<HistogramName, Histogram<string>>

    const sources = new Map<GaugeName, Effect.Effect<ReadonlyArray<Sample>, unknown>>()
    const gauges = Object.fromEntries(
      Object.entries(GAUGES).map(([name, def]) => [
        name,
        new Gauge({
          name,
          help: def.help,
          labelNames: def.labels,
          registers: [registry],
          async collect() {
            const source = sources.get(name as GaugeName)
            // Reset first: a label set that vanished from the source must vanish from the scrape.
            this.reset()
            if (source === undefined) return
            const samples = await Runtime.runPromise(runtime)(source.pipe(Effect.orElseSucceed((): ReadonlyArray<Sample> => [])))
            for (const s of samples) this.set(s.labels, s.value)
          }
        })
      ])
    ) as Record<GaugeName, Gauge<string>>

    const read = (name: MetricName): Effect.Effect<ReadonlyArray<Sample>> =>
      Effect.promise(async () => {
        if (name in histograms) {
          const data = await histograms[name as HistogramName].get()
          return toSamples(data.values.filter((v) => v.metricName === `${name}_count`))
        }
        const metric = name in counters ? counters[name as CounterName] : gauges[name as GaugeName]
        return toSamples((await metric.get()).values)
      })

    return Metrics.of({
      increment: (name: CounterName, labels: Labels, by = 1) => Effect.sync(() => counters[name].inc(labels, by)),
      observe: (name: HistogramName, labels: Labels, seconds: number) => Effect.sync(() => histograms[name].observe(labels, seconds)),
      gauge: (name, source) => Effect.sync(() => void sources.set(name, source)),
      read,
      exposition: Effect.promise(async () => ({ contentType: registry.contentType, text: await registry.metrics() }))
    })
  })

export const layer = (options: PrometheusOptions = {}) => Layer.effect(Metrics, make(options))
