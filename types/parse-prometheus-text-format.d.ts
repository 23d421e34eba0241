/** parse-prometheus-text-format 1.1.1 ships no types; this is the shape it returns. */
declare module "parse-prometheus-text-format" {
  export type Labels = Readonly<Record<string, string>>

  /** Counter, gauge and untyped samples. Values and timestamps are strings ("1027", "NaN", "+Inf"). */
  export interface ValueSample {
    readonly value: string
    readonly labels?: Labels
    readonly timestamp_ms?: string
  }

  export interface HistogramSample {
    readonly buckets: Readonly<Record<string, string>>
    readonly count: string
    readonly sum: string
    readonly labels?: Labels
  }

  export interface SummarySample {
    readonly quantiles: Readonly<Record<string, string>>
    readonly count: string
    readonly sum: string
    readonly labels?: Labels
  }

  export interface MetricFamily {
    readonly name: string
    readonly help: string
    /** Upper-case: COUNTER, GAUGE, HISTOGRAM, SUMMARY, UNTYPED. */
    readonly type: string
    readonly metrics: ReadonlyArray<ValueSample | HistogramSample | SummarySample>
  }

  /** Throws "Encountered invalid line: …" on malformed input; drops a last line without "\n". */
  export default function parse(text: string): Array<MetricFamily>
}
