import { Context, Data, type Effect } from "effect"
import type { ChainpulseSnapshot } from "../core/clearing/model.js"

export class ChainpulseUnavailable extends Data.TaggedError("ChainpulseUnavailable")<{
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message() {
    return `Chainpulse metrics unavailable: ${this.reason}`
  }
}

/** Chainpulse's Prometheus `/metrics`, read into typed samples with its labels kept as found. */
export class ChainpulseMetrics extends Context.Tag("relaygate/ChainpulseMetrics")<
  ChainpulseMetrics,
  {
    readonly scrape: () => Effect.Effect<ChainpulseSnapshot, ChainpulseUnavailable>
  }
>() {}
