import { Context, type Effect } from "effect"

export type Labels = Readonly<Record<string, string>>

export interface Sample {
  readonly labels: Labels
  readonly value: number
}

/**
 * The metric families relaygate exports. Names, help and label names are what
 * operators' dashboards and alert rules query, so they are a contract: every
 * adapter exposes exactly these.
 */
export const COUNTERS = {
  relaygate_http_requests_total: { help: "HTTP requests by method, route template and status", labels: ["method", "route", "status"] },
  relaygate_rate_limit_refusals_total: { help: "Requests refused with 429 by a rate limit, by route template", labels: ["route"] },
  relaygate_admin_auth_failures_total: { help: "Admin API requests refused for a missing or wrong X-Admin-Key", labels: ["reason"] },
  relaygate_ceremony_steps_total: { help: "Signing ceremony steps that ended, by step and outcome", labels: ["step", "outcome"] },
  relaygate_ceremonies_total: { help: "Signing ceremonies that ended, by outcome", labels: ["outcome"] },
  relaygate_daemon_errors_total: { help: "Failed calls to arkd, lnd and tapd by daemon and method", labels: ["daemon", "method"] },
  relaygate_job_runs_total: { help: "Background job runs by job and outcome", labels: ["job", "outcome"] }
} as const

export const HISTOGRAMS = {
  relaygate_http_request_duration_seconds: {
    help: "HTTP request latency by method, route template and status",
    labels: ["method", "route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
  },
  relaygate_daemon_call_duration_seconds: {
    help: "Latency of calls to arkd, lnd and tapd by daemon, method and outcome",
    labels: ["daemon", "method", "outcome"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30]
  },
  relaygate_job_duration_seconds: {
    help: "Background job run duration by job",
    labels: ["job"],
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300]
  }
} as const

/** Gauges are read from their source when scraped (the stores are the truth, across replicas). */
export const GAUGES = {
  relaygate_sessions: { help: "Signing sessions by status", labels: ["status"] },
  relaygate_ledger_supply: { help: "Ledger circulating supply per asset: what all balances sum to (base units)", labels: ["asset_id"] },
  relaygate_ledger_reserved: { help: "Ledger amount reserved by holds per asset (base units)", labels: ["asset_id"] },
  relaygate_ledger_holders: { help: "Ledger accounts with a balance per asset", labels: ["asset_id"] },
  relaygate_vtxos: { help: "VTXO inventory per asset and status", labels: ["asset_id", "status"] },
  relaygate_vtxo_amount_sats: { help: "VTXO inventory value per asset and status (sats)", labels: ["asset_id", "status"] },
  relaygate_invoices: { help: "Lightning invoices by type and status", labels: ["type", "status"] },
  relaygate_epochs: { help: "Epochs with a stored assignment", labels: [] },
  relaygate_packets: { help: "Tracked IBC packets by state", labels: ["state"] },
  relaygate_clearings: { help: "Clearing requests by status", labels: ["status"] },
  relaygate_dependency_up: { help: "1 when a dependency answers its readiness probe, else 0", labels: ["dependency", "adapter"] },
  relaygate_alerts_firing: { help: "1 for each alert rule currently firing", labels: ["rule", "severity"] },
  relaygate_nostr_events_dropped: {
    help: "Events the Nostr worker's relays sent that were not delivered, since the worker started, by relay and reason",
    labels: ["relay", "reason"]
  }
} as const

export type CounterName = keyof typeof COUNTERS
export type HistogramName = keyof typeof HISTOGRAMS
export type GaugeName = keyof typeof GAUGES
export type MetricName = CounterName | HistogramName | GaugeName

/**
 * Prometheus-style metrics. Counters and histograms are recorded where things
 * happen; a gauge has one source, read at scrape time. `read` gives the
 * current samples of a counter or gauge (a histogram's observation counts),
 * which alert rules and the admin summary evaluate.
 */
export class Metrics extends Context.Tag("relaygate/Metrics")<
  Metrics,
  {
    readonly increment: (name: CounterName, labels: Labels, by?: number) => Effect.Effect<void>
    readonly observe: (name: HistogramName, labels: Labels, seconds: number) => Effect.Effect<void>
    /** Sets the gauge's source; a failing source leaves the gauge empty for that scrape. */
    readonly gauge: (name: GaugeName, source: Effect.Effect<ReadonlyArray<Sample>, unknown>) => Effect.Effect<void>
    readonly read: (name: MetricName) => Effect.Effect<ReadonlyArray<Sample>>
    /** The text exposition format, with its content type. */
    readonly exposition: Effect.Effect<{ readonly contentType: string; readonly text: string }>
  }
>() {}
