import { Config, Context, Effect, Layer, Logger, LogLevel, Option } from "effect"

/**
 * Structured JSON logs. Every line goes through `scrub` before it is written
 * anywhere: configured secrets are replaced wherever they appear, fields whose
 * names say secret, key, token or signature are redacted, and values shaped
 * like signatures (64-byte hex) or JWTs are masked, so a handler that logs a
 * request body cannot leak what it carried.
 */

export interface LogEntry {
  readonly timestamp: string
  readonly level: string
  readonly message: unknown
  readonly annotations: Readonly<Record<string, unknown>>
  readonly cause?: string | undefined
  readonly spans?: Readonly<Record<string, number>> | undefined
}

export const REDACTED = "<redacted>"

/** Variables whose values must never appear in a log line or an admin response. */
export const SECRET_VARIABLES = [
  "ADMIN_API_KEY",
  "GATEWAY_PRIVATE_KEY",
  "JWT_SECRET",
  "EPOCH_SECRET",
  "NOSTR_PRIVATE_KEY",
  "S3_SECRET_ACCESS_KEY",
  "ARKD_MACAROON",
  "LND_MACAROON",
  "TAPD_MACAROON"
] as const

/** Variables that are URLs which may carry a password. */
export const URL_VARIABLES = ["DATABASE_URL", "REDIS_URL"] as const

const SENSITIVE_KEY = /secret|passw|private|token|signature|^sig$|_sig$|macaroon|api[_-]?key|admin[_-]?key|authorization|nsec|seed|cookie/i
// 64-byte hex (Schnorr and sr25519 signatures), optionally 0x-prefixed; JWTs; admin_key in query strings.
const SIGNATURE_HEX = /\b(0x)?[0-9a-fA-F]{128}\b/g
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g
const QUERY_SECRET = /([?&](?:admin_key|token|api_key|key)=)[^&\s"]*/gi

export interface Scrubber {
  readonly string: (s: string) => string
  readonly value: (v: unknown) => unknown
}

export const makeScrubber = (secrets: ReadonlyArray<string>): Scrubber => {
  // Longest first so a secret that contains another is replaced whole.
  const known = secrets.filter((s) => s.length >= 6).sort((a, b) => b.length - a.length)
  const string = (s: string): string => {
    let out = s
    for (const k of known) out = out.split(k).join(REDACTED)
    return out.replace(SIGNATURE_HEX, REDACTED).replace(JWT, REDACTED).replace(QUERY_SECRET, `$1${REDACTED}`)
  }
  const value = (v: unknown, depth = 0): unknown => {
    if (typeof v === "string") return string(v)
    if (typeof v === "bigint") return v.toString()
    if (v === null || typeof v !== "object") return v
    if (depth > 8) return "[deep]"
    if (Array.isArray(v)) return v.map((x) => value(x, depth + 1))
    if (v instanceof Error) return string(v.message)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SENSITIVE_KEY.test(k) ? REDACTED : value(x, depth + 1)]))
  }
  return { string, value: (v) => value(v) }
}

/** The secret values configured for this process (and the passwords inside URL variables). */
export const configuredSecrets = Effect.gen(function*() {
  const out: Array<string> = []
  for (const name of SECRET_VARIABLES) {
    const v = yield* Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
    if (Option.isSome(v)) out.push(v.value.trim())
  }
  for (const name of URL_VARIABLES) {
    const v = yield* Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
    if (Option.isSome(v) && URL.canParse(v.value)) {
      const password = decodeURIComponent(new URL(v.value).password)
      if (password !== "") out.push(password, new URL(v.value).password)
    }
  }
  return out
})

/** The last log lines of this process, oldest first, for /admin/logs/recent. */
export class LogBuffer extends Context.Tag("relaygate/apps/LogBuffer")<LogBuffer, {
  readonly push: (entry: LogEntry) => void
  readonly recent: (options: { readonly limit: number; readonly minimumLevel: LogLevel.LogLevel }) => ReadonlyArray<LogEntry>
  readonly scrubber: Scrubber
}>() {}

export const LOG_BUFFER_SIZE = 1000

export const makeLogBuffer = (scrubber: Scrubber, capacity = LOG_BUFFER_SIZE): Context.Tag.Service<LogBuffer> => {
  const ring: Array<LogEntry> = []
  let next = 0
  return {
    scrubber,
    push: (entry) => {
      if (ring.length < capacity) ring.push(entry)
      else ring[next] = entry
      next = (next + 1) % capacity
    },
    recent: ({ limit, minimumLevel }) => {
      const ordered = ring.length < capacity ? ring : [...ring.slice(next), ...ring.slice(0, next)]
      const levels = new Map<string, LogLevel.LogLevel>(LogLevel.allLevels.map((l) => [l.label, l]))
      return ordered
        .filter((e) => {
          const level = levels.get(e.level)
          return level !== undefined && LogLevel.greaterThanEqual(level, minimumLevel)
        })
        .slice(-limit)
    }
  }
}

/** One scrubbed entry from Effect's logger input. */
const toEntry = (scrubber: Scrubber, options: Logger.Logger.Options<unknown>): LogEntry => {
  const s = Logger.structuredLogger.log(options)
  const annotations = scrubber.value(s.annotations) as Record<string, unknown>
  return {
    timestamp: s.timestamp,
    level: s.logLevel,
    message: scrubber.value(s.message),
    annotations,
    ...(s.cause === undefined ? {} : { cause: scrubber.string(s.cause) }),
    ...(Object.keys(s.spans).length === 0 ? {} : { spans: s.spans })
  }
}

/** A JSON line per entry on stdout (stderr for errors), as log shippers expect. */
const writeLine = (entry: LogEntry) => {
  const line = JSON.stringify({ timestamp: entry.timestamp, level: entry.level, message: entry.message, ...entry.annotations, ...(entry.cause === undefined ? {} : { cause: entry.cause }), ...(entry.spans === undefined ? {} : { spans: entry.spans }) })
  if (entry.level === "ERROR" || entry.level === "FATAL") process.stderr.write(`${line}\n`)
  else process.stdout.write(`${line}\n`)
}

/**
 * The log buffer, fed by a logger added to the process's loggers. Part of the
 * services (so an embedded or test app has /admin/logs/recent too); where the
 * lines are printed is the app's choice (`JsonLoggingLive`).
 */
export const LogBufferLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const buffer = makeLogBuffer(makeScrubber(yield* configuredSecrets))
    const capture = Logger.make((options) => buffer.push(toEntry(buffer.scrubber, options)))
    return Layer.merge(Layer.succeed(LogBuffer, buffer), Logger.add(capture))
  })
)

/** The default logger replaced by scrubbed JSON lines. */
export const JsonLoggingLive = Layer.unwrapEffect(
  Effect.map(configuredSecrets, (secrets) => {
    const scrubber = makeScrubber(secrets)
    return Logger.replace(Logger.defaultLogger, Logger.make((options) => writeLine(toEntry(scrubber, options))))
  })
)
