import { Either } from "effect"
import { UnknownAlertRule } from "./errors.js"

export const ALERT_RULE_NAMES = ["inventory_low", "daemon_down", "stuck_ceremonies", "clearing_failures"] as const
export type AlertRuleName = (typeof ALERT_RULE_NAMES)[number]

export type Severity = "warning" | "critical"

export interface AlertRule {
  readonly name: AlertRuleName
  readonly description: string
  readonly severity: Severity
  readonly enabled: boolean
}

export const DEFAULT_RULES: ReadonlyArray<AlertRule> = [
  {
    name: "inventory_low",
    description: "An asset's available VTXOs are below its minimum inventory",
    severity: "warning",
    enabled: true
  },
  { name: "daemon_down", description: "arkd, lnd or tapd does not answer", severity: "critical", enabled: true },
  {
    name: "stuck_ceremonies",
    description: "A signing ceremony is still running past its overall deadline",
    severity: "warning",
    enabled: true
  },
  {
    name: "clearing_failures",
    description: "Clearing requests failed within the last hour",
    severity: "warning",
    enabled: true
  }
]

/** Clearing failures older than this no longer raise the alert. */
export const CLEARING_FAILURE_WINDOW_MS = 60 * 60_000

/** What the rules look at, gathered from the stores and probes at one instant. */
export interface OpsSnapshot {
  readonly now: number
  readonly inventory: ReadonlyArray<{ readonly asset_id: string; readonly available: number; readonly minimum: number }>
  readonly daemons: ReadonlyArray<{ readonly daemon: string; readonly adapter: string; readonly up: boolean; readonly detail?: string | undefined }>
  /** Ceremonies whose status is `running`. */
  readonly ceremonies: ReadonlyArray<{ readonly session_id: string; readonly started_at: number; readonly deadline_at: number }>
  /** Clearing requests in `failed`, with when they got there. */
  readonly failedClearings: ReadonlyArray<{ readonly token: string; readonly failed_at: number }>
}

export interface Alert {
  readonly rule: AlertRuleName
  readonly severity: Severity
  /** What the alert is about: an asset id, a daemon, a session id, or `clearing`. */
  readonly subject: string
  readonly message: string
  readonly since: number
}

const fire = (rule: AlertRule, subject: string, message: string, since: number): Alert => ({
  rule: rule.name,
  severity: rule.severity,
  subject,
  message,
  since
})

const evaluateRule = (rule: AlertRule, s: OpsSnapshot): ReadonlyArray<Alert> => {
  switch (rule.name) {
    case "inventory_low":
      return s.inventory
        .filter((i) => i.available < i.minimum)
        .map((i) => fire(rule, i.asset_id, `${i.available} VTXOs available for ${i.asset_id}, minimum ${i.minimum}`, s.now))
    case "daemon_down":
      return s.daemons
        .filter((d) => !d.up)
        .map((d) => fire(rule, d.daemon, `${d.daemon} (${d.adapter}) is down${d.detail === undefined ? "" : `: ${d.detail}`}`, s.now))
    case "stuck_ceremonies":
      return s.ceremonies
        .filter((c) => s.now > c.deadline_at)
        .map((c) =>
          fire(rule, c.session_id, `ceremony of ${c.session_id} still running ${Math.floor((s.now - c.deadline_at) / 1000)} s past its deadline`, c.deadline_at)
        )
    case "clearing_failures": {
      const recent = s.failedClearings.filter((f) => f.failed_at <= s.now && s.now - f.failed_at < CLEARING_FAILURE_WINDOW_MS)
      return recent.length === 0
        ? []
        : [fire(rule, "clearing", `${recent.length} clearing request(s) failed within the last hour`, Math.min(...recent.map((f) => f.failed_at)))]
    }
  }
}

/** The alerts firing now: every enabled rule applied to the snapshot. Disabled rules never fire. */
export const evaluate = (rules: ReadonlyArray<AlertRule>, snapshot: OpsSnapshot): ReadonlyArray<Alert> =>
  rules.filter((r) => r.enabled).flatMap((r) => evaluateRule(r, snapshot))

/** Turns one rule on or off; the others are unchanged. */
export const toggle = (
  rules: ReadonlyArray<AlertRule>,
  name: string,
  enabled: boolean
): Either.Either<ReadonlyArray<AlertRule>, UnknownAlertRule> =>
  rules.some((r) => r.name === name)
    ? Either.right(rules.map((r) => (r.name === name ? { ...r, enabled } : r)))
    : Either.left(new UnknownAlertRule({ rule_name: name, known: rules.map((r) => r.name) }))
