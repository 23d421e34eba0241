import { secp256k1 } from "@noble/curves/secp256k1.js"
import { bech32 } from "@scure/base"
import { Config, ConfigError, Effect, Either, HashSet, LogLevel, Option, Redacted } from "effect"

/**
 * Every environment variable relaygate reads. Names and defaults are the
 * operators' contract (ARCHITECTURE.md, "Configuration"); add new ones here in
 * the same style and nowhere else.
 */

export const MODULE_NAMES = ["ark", "epochs", "clearing"] as const
export type ModuleName = (typeof MODULE_NAMES)[number]

const positiveInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "Expected a positive integer", validation: (n) => n > 0 }),
    Config.withDefault(fallback)
  )

const splitList = (s: string) => s.split(",").map((x) => x.trim()).filter((x) => x !== "")

const hexKey = (name: string) =>
  Config.option(
    Config.string(name).pipe(
      Config.validate({ message: "Expected 64 hex characters (a 32-byte secp256k1 private key)", validation: (s) => /^[0-9a-fA-F]{64}$/.test(s) }),
      Config.map(Redacted.make)
    )
  )

export const ServerConfig = Config.all({
  port: Config.integer("PORT").pipe(
    Config.validate({ message: "Expected a port number 0-65535 (0 picks a free port)", validation: (n) => n >= 0 && n <= 65535 }),
    Config.withDefault(8000)
  ),
  // Validated before mapping so the error keeps the variable's name.
  modules: Config.string("MODULES").pipe(
    Config.validate({
      message: `Expected a comma-separated subset of ${MODULE_NAMES.join(",")}`,
      validation: (raw) => {
        const ms = splitList(raw)
        return ms.length > 0 && ms.every((m) => (MODULE_NAMES as ReadonlyArray<string>).includes(m))
      }
    }),
    Config.map((raw) => new Set(splitList(raw) as ReadonlyArray<ModuleName>)),
    Config.withDefault(new Set<ModuleName>(MODULE_NAMES))
  ),
  logLevel: Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
  adminApiKey: Config.option(Config.redacted("ADMIN_API_KEY")),
  /** A second listener serving only GET /metrics (unset → /metrics on PORT only; 0 picks a free port). */
  metricsPort: Config.option(
    Config.integer("METRICS_PORT").pipe(
      Config.validate({ message: "Expected a port number 0-65535 (0 picks a free port)", validation: (n) => n >= 0 && n <= 65535 })
    )
  ),
  rateLimitEnabled: Config.boolean("RATE_LIMIT_ENABLED").pipe(Config.withDefault(true)),
  /** The hot signed routes answered past the router (apps/http/fast-path.ts); false sends them through it. */
  fastPath: Config.boolean("HTTP_FAST_PATH").pipe(Config.withDefault(true))
})
export type ServerConfig = Config.Config.Success<typeof ServerConfig>

const nonNegativeInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "Expected a whole number, 0 or more (0 turns the limit off)", validation: (n) => n >= 0 }),
    Config.withDefault(fallback)
  )

/**
 * Signature verification threads (adapters/crypto/verify-pool.ts): one takes
 * the verifications off the event loop (bench row 3: 491 → 731 req/s on 2
 * cores); 0 verifies on the event loop.
 */
export const VerifyThreadsConfig = Config.integer("VERIFY_THREADS").pipe(
  Config.validate({ message: "Expected a whole number of threads, 0 to 64 (0 verifies on the event loop)", validation: (n) => n >= 0 && n <= 64 }),
  Config.withDefault(1)
)

/**
 * What one client may send and hold before any parsing work: MAX_BODY_BYTES
 * (1048576 → 413), MAX_JSON_DEPTH (64 → 400), MAX_HEADER_BYTES (16384, request
 * line and headers → 431), MAX_URL_LENGTH (8192 → 414), HEADERS_TIMEOUT_SECONDS
 * (10) and REQUEST_TIMEOUT_SECONDS (30, headers and body; → 408, then the
 * socket is closed), MAX_CONNECTIONS_PER_IP (64 open sockets; more → 429,
 * 0 = no cap, e.g. behind a proxy), WS_MAX_MESSAGE_BYTES (65536 → close 1009),
 * WS_MAX_MESSAGES_PER_MINUTE (120 → close 1008). Overload: at most
 * MAX_IN_FLIGHT_REQUESTS (128) handled at once, MAX_QUEUED_REQUESTS (256)
 * waiting at most QUEUE_TIMEOUT_SECONDS (5), and none while the event loop
 * runs more than MAX_EVENT_LOOP_DELAY_MS (500) late (CPU-bound: requests wait
 * in socket buffers, not in that queue); beyond → 503 with Retry-After.
 * SHUTDOWN_TIMEOUT_SECONDS (20): how long SIGTERM waits for in-flight work.
 */
export const LimitsConfig = Config.all({
  maxBodyBytes: positiveInt("MAX_BODY_BYTES", 1024 * 1024),
  maxJsonDepth: positiveInt("MAX_JSON_DEPTH", 64),
  maxHeaderBytes: positiveInt("MAX_HEADER_BYTES", 16 * 1024),
  maxUrlLength: positiveInt("MAX_URL_LENGTH", 8 * 1024),
  headersTimeoutSeconds: positiveInt("HEADERS_TIMEOUT_SECONDS", 10),
  requestTimeoutSeconds: positiveInt("REQUEST_TIMEOUT_SECONDS", 30),
  maxConnectionsPerIp: nonNegativeInt("MAX_CONNECTIONS_PER_IP", 64),
  wsMaxMessageBytes: positiveInt("WS_MAX_MESSAGE_BYTES", 64 * 1024),
  wsMaxMessagesPerMinute: positiveInt("WS_MAX_MESSAGES_PER_MINUTE", 120),
  maxInFlightRequests: positiveInt("MAX_IN_FLIGHT_REQUESTS", 128),
  maxQueuedRequests: nonNegativeInt("MAX_QUEUED_REQUESTS", 256),
  queueTimeoutSeconds: positiveInt("QUEUE_TIMEOUT_SECONDS", 5),
  maxEventLoopDelayMs: positiveInt("MAX_EVENT_LOOP_DELAY_MS", 500),
  shutdownTimeoutSeconds: positiveInt("SHUTDOWN_TIMEOUT_SECONDS", 20)
}).pipe(
  // Node refuses a headers timeout longer than the request timeout; say so at start-up.
  Config.validate({
    message: "HEADERS_TIMEOUT_SECONDS must not exceed REQUEST_TIMEOUT_SECONDS",
    validation: (l) => l.headersTimeoutSeconds <= l.requestTimeoutSeconds
  })
)
export type LimitsConfig = Config.Config.Success<typeof LimitsConfig>

const isOrigin = (s: string) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol) && new URL(s).origin === s

/**
 * CORS_ORIGINS: unset → no CORS headers at all, so browsers keep pages of
 * other origins out; `*` → any origin (no credentials); otherwise a
 * comma-separated list of exact origins (`https://wallet.example.com`), and
 * only a listed origin is echoed back.
 */
export const CorsConfig = Config.option(
  Config.string("CORS_ORIGINS").pipe(
    Config.validate({
      message: "Expected * or a comma-separated list of origins like https://app.example.com (scheme, host and port only)",
      validation: (raw) => raw.trim() === "*" || (splitList(raw).length > 0 && splitList(raw).every(isOrigin))
    }),
    Config.map((raw): "*" | ReadonlyArray<string> => (raw.trim() === "*" ? "*" : Array.from(new Set(splitList(raw)))))
  )
)
export type CorsConfig = Config.Config.Success<typeof CorsConfig>

const hasScheme = (schemes: ReadonlyArray<string>) => (raw: string) =>
  URL.canParse(raw) && schemes.includes(new URL(raw).protocol) && new URL(raw).hostname !== ""

/**
 * DATABASE_URL and REDIS_URL: set → MariaDB stores / Redis guards, event bus
 * and job locks; unset → in-memory (one process). Both may carry passwords,
 * so they are redacted and never logged. REDIS_KEY_PREFIX (`relaygate:`).
 */
export const PersistenceConfig = Config.all({
  databaseUrl: Config.option(
    Config.string("DATABASE_URL").pipe(
      Config.validate({ message: "Expected mysql://user:pass@host:3306/db", validation: hasScheme(["mysql:", "mariadb:"]) }),
      Config.map((raw) => Redacted.make(raw.replace(/^mariadb:/, "mysql:")))
    )
  ),
  redisUrl: Config.option(
    Config.string("REDIS_URL").pipe(
      Config.validate({ message: "Expected redis://host:6379/0 (or rediss:// for TLS)", validation: hasScheme(["redis:", "rediss:"]) }),
      Config.map(Redacted.make)
    )
  ),
  /** Prepended to every Redis key and channel, so deployments (or test runs) can share one Redis. */
  redisKeyPrefix: Config.string("REDIS_KEY_PREFIX").pipe(
    Config.validate({ message: "Expected 1-64 characters without spaces", validation: (s) => /^\S{1,64}$/.test(s) }),
    Config.withDefault("relaygate:")
  )
})
export type PersistenceConfig = Config.Config.Success<typeof PersistenceConfig>

export const ArkConfig = Config.all({
  sessionTimeoutMinutes: positiveInt("SESSION_TIMEOUT_MINUTES", 30),
  challengeTimeoutMinutes: positiveInt("CHALLENGE_TIMEOUT_MINUTES", 5),
  bitcoinNetwork: Config.literal("mainnet", "testnet", "signet", "regtest")("BITCOIN_NETWORK").pipe(
    Config.withDefault("regtest" as const)
  ),
  gatewayPrivateKey: hexKey("GATEWAY_PRIVATE_KEY")
})
export type ArkConfig = Config.Config.Success<typeof ArkConfig>

/** The ark module's money paths: VTXO_EXPIRATION_HOURS (24) and VTXO_MIN_AMOUNT_SATS (1000, the smallest VTXO a batch creates). */
export const ArkMoneyConfig = Config.all({
  vtxoExpirationHours: positiveInt("VTXO_EXPIRATION_HOURS", 24),
  vtxoMinAmountSats: positiveInt("VTXO_MIN_AMOUNT_SATS", 1000)
})
export type ArkMoneyConfig = Config.Config.Success<typeof ArkMoneyConfig>

const optionalString = (name: string) => Config.option(Config.string(name).pipe(Config.validate({ message: "Expected a non-empty value", validation: (s) => s.trim() !== "" })))

export const EpochsConfig = Config.all({
  epochSecret: Config.option(
    Config.string("EPOCH_SECRET").pipe(
      Config.validate({ message: "Expected at least 16 characters", validation: (s) => s.length >= 16 }),
      Config.map(Redacted.make)
    )
  ),
  zipcodesFile: optionalString("ZIPCODES_FILE"),
  metagraphFile: optionalString("METAGRAPH_FILE"),
  s3: Config.all({
    bucket: optionalString("S3_BUCKET"),
    validatorBucket: optionalString("S3_VALIDATOR_BUCKET"),
    region: optionalString("S3_REGION"),
    accessKeyId: optionalString("S3_ACCESS_KEY_ID"),
    secretAccessKey: Config.option(Config.redacted("S3_SECRET_ACCESS_KEY")),
    endpoint: Config.option(
      Config.string("S3_ENDPOINT").pipe(
        Config.validate({ message: "Expected an http(s) URL", validation: (s) => URL.canParse(s) && /^https?:/.test(s) })
      )
    )
  })
})
export type EpochsConfig = Config.Config.Success<typeof EpochsConfig>

/** A Nostr secret key as 64 hex or NIP-19 `nsec1…`, to lower-case hex; undefined unless it is a valid secp256k1 scalar. */
const nostrSecretHex = (raw: string): string | undefined => {
  const s = raw.trim()
  let bytes: Uint8Array | undefined
  if (/^[0-9a-fA-F]{64}$/.test(s)) bytes = Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16))
  else if (s.toLowerCase().startsWith("nsec1")) {
    try {
      const { prefix, words } = bech32.decode(s.toLowerCase() as `${string}1${string}`, 90)
      bytes = prefix === "nsec" ? bech32.fromWords(words) : undefined
    } catch {
      bytes = undefined
    }
  }
  return bytes !== undefined && bytes.length === 32 && secp256k1.utils.isValidSecretKey(bytes)
    ? Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
    : undefined
}

const isRelayUrl = (s: string) => URL.canParse(s) && /^wss?:$/.test(new URL(s).protocol)

/**
 * NOSTR_RELAYS and NOSTR_PRIVATE_KEY: both set → the worker runs (standalone,
 * or in-process in the HTTP app); both unset → no worker; one alone is an error.
 */
export const NostrConfig = Config.all({
  relays: Config.option(
    Config.string("NOSTR_RELAYS").pipe(
      Config.validate({
        message: "Expected a comma-separated list of ws:// or wss:// relay URLs",
        validation: (raw) => splitList(raw).length > 0 && splitList(raw).every(isRelayUrl)
      }),
      Config.map((raw) => Array.from(new Set(splitList(raw))))
    )
  ),
  privateKey: Config.option(
    Config.string("NOSTR_PRIVATE_KEY").pipe(
      Config.mapOrFail((raw) => {
        const hex = nostrSecretHex(raw)
        return hex === undefined
          ? Either.left(ConfigError.InvalidData([], "Expected 64 hex characters or an nsec1… key (a secp256k1 private key)"))
          : Either.right(Redacted.make(hex))
      })
    )
  )
}).pipe(
  Config.mapOrFail(({ privateKey, relays }) => {
    if (Option.isSome(relays) && Option.isNone(privateKey)) {
      return Either.left(ConfigError.MissingData(["NOSTR_PRIVATE_KEY"], "Expected a key: NOSTR_RELAYS is set"))
    }
    if (Option.isNone(relays) && Option.isSome(privateKey)) {
      return Either.left(ConfigError.MissingData(["NOSTR_RELAYS"], "Expected relay URLs: NOSTR_PRIVATE_KEY is set"))
    }
    return Either.right(Option.zipWith(relays, privateKey, (r, k) => ({ relays: r as ReadonlyArray<string>, privateKey: k })))
  })
)
export type NostrConfig = Config.Config.Success<typeof NostrConfig>

/** `OSMOSIS_1` → `osmosis-1`, `EVMOS_9001_2` → `evmos_9001-2`: the chain id a `<CHAIN>` suffix stands for. */
export const chainIdFromEnv = (suffix: string): string => {
  const s = suffix.toLowerCase()
  // EVM-style ids (`name_eip155-revision`) keep their underscore; every other `_` was a `-`.
  const evm = /^(.+)_(\d+)_(\d+)$/.exec(s)
  return evm === null ? s.replace(/_/g, "-") : `${evm[1]!.replace(/_/g, "-")}_${evm[2]}-${evm[3]}`
}

/**
 * Names of the variables starting with `prefix` (COMETBFT_RPC_<CHAIN>, …), read
 * through the current ConfigProvider so a test's map works like the environment.
 */
const namesWithPrefix = (prefix: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.configProviderWith((provider) => {
    const walk = (path: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>> =>
      provider.flattened.enumerateChildren(path).pipe(
        Effect.orElseSucceed(() => HashSet.empty<string>()),
        Effect.flatMap((children) =>
          Effect.forEach(HashSet.toValues(children), (child) => {
            const next = [...path, child]
            const name = next.join("_")
            if (!prefix.startsWith(name) && !name.startsWith(prefix)) return Effect.succeed([])
            return Effect.map(walk(next), (below) => (name.length > prefix.length ? [name, ...below] : below))
          })
        ),
        Effect.map((lists) => lists.flat())
      )
    return Effect.map(walk([]), (names) => Array.from(new Set(names)).sort())
  })

/** Every `<prefix><CHAIN>` variable, validated, keyed by the chain id it names. */
const perChain = (prefix: string, message: string, valid: (s: string) => boolean) =>
  Effect.gen(function*() {
    const out = new Map<string, string>()
    for (const name of yield* namesWithPrefix(prefix)) {
      const value = yield* Config.option(Config.string(name).pipe(Config.validate({ message, validation: (s) => valid(s.trim()) })))
      if (Option.isSome(value)) out.set(chainIdFromEnv(name.slice(prefix.length)), value.value.trim())
    }
    return out as ReadonlyMap<string, string>
  })

const isHttpUrl = (s: string) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol)
const isRpcUrl = (s: string) => URL.canParse(s) && /^(https?|wss?):$/.test(new URL(s).protocol)

/**
 * The clearing module: JWT_SECRET (HS256, ≥ 32 bytes; unset → protected routes
 * answer 503), CHAINPULSE_URL, COMETBFT_RPC_<CHAIN>, COSMOS_REST_<CHAIN>,
 * CLEARING_ADDRESS_<CHAIN>, CLEARING_FEE (`amount+denom`, per packet),
 * HERMES_URL / HERMES_BIN (the CLI wins when both are set).
 */
export const ClearingEnvConfig = Effect.gen(function*() {
  const simple = yield* Config.all({
    jwtSecret: Config.option(
      Config.redacted("JWT_SECRET").pipe(
        Config.validate({
          message: "Expected at least 32 bytes (an HS256 key); there is no default",
          validation: (r) => new TextEncoder().encode(Redacted.value(r)).length >= 32
        })
      )
    ),
    chainpulseUrl: Config.option(Config.string("CHAINPULSE_URL").pipe(Config.validate({ message: "Expected an http(s) URL", validation: isHttpUrl }))),
    hermesUrl: Config.option(Config.string("HERMES_URL").pipe(Config.validate({ message: "Expected an http(s) URL", validation: isHttpUrl }))),
    hermesBin: optionalString("HERMES_BIN"),
    fee: Config.option(
      Config.string("CLEARING_FEE").pipe(
        Config.mapOrFail((raw) => {
          const m = /^(\d+)([a-zA-Z][a-zA-Z0-9/:._-]{1,127})$/.exec(raw.trim())
          return m === null || BigInt(m[1]!) === 0n
            ? Either.left(ConfigError.InvalidData([], "Expected a positive amount followed by a denom, e.g. 500000uosmo"))
            : Either.right({ amount: BigInt(m[1]!), denom: m[2]! })
        })
      )
    )
  })
  return {
    ...simple,
    cometbft: yield* perChain("COMETBFT_RPC_", "Expected an http(s) or ws(s) URL", isRpcUrl),
    cosmosRest: yield* perChain("COSMOS_REST_", "Expected an http(s) URL", isHttpUrl),
    clearingAddresses: yield* perChain("CLEARING_ADDRESS_", "Expected an address", (s) => /^[a-z0-9]+1[02-9ac-hj-np-z]{6,}$/.test(s))
  }
})
export type ClearingEnvConfig = Effect.Effect.Success<typeof ClearingEnvConfig>

/**
 * The web console (/console): CONSOLE_DIR is the built page (unset → the
 * repository's dist/console); EXPLORER_TX_URL_<CHAIN> is a public explorer's
 * tx page with `{tx_hash}` where the hash goes, e.g.
 * `https://www.mintscan.io/osmosis/tx/{tx_hash}`; chains without one get no link.
 */
export const ConsoleConfig = Effect.gen(function*() {
  return {
    dir: yield* optionalString("CONSOLE_DIR"),
    explorerTxUrls: yield* perChain(
      "EXPLORER_TX_URL_",
      "Expected an http(s) URL containing {tx_hash}",
      (s) => isHttpUrl(s.replace("{tx_hash}", "x")) && s.includes("{tx_hash}")
    )
  }
})
export type ConsoleConfig = Effect.Effect.Success<typeof ConsoleConfig>

/**
 * One daemon's <PREFIX>_HOST, _PORT, _TLS_CERT (PEM file) and _MACAROON (file); no host → the simulated daemon.
 * Optional <PREFIX>_TLS_SERVER_NAME: the name the daemon's certificate carries when it does not name <PREFIX>_HOST
 * (a daemon dialled by IP, through a tunnel or a container alias); unset, the certificate must name the host.
 */
const daemon = (prefix: "ARKD" | "LND" | "TAPD", defaultPort: number) =>
  Config.all({
    host: optionalString(`${prefix}_HOST`),
    port: Config.integer(`${prefix}_PORT`).pipe(
      Config.validate({ message: "Expected a port number 1-65535", validation: (n) => n >= 1 && n <= 65535 }),
      Config.withDefault(defaultPort)
    ),
    tlsCert: optionalString(`${prefix}_TLS_CERT`),
    tlsServerName: optionalString(`${prefix}_TLS_SERVER_NAME`),
    macaroon: optionalString(`${prefix}_MACAROON`)
  })

/**
 * arkd, lnd and tapd over gRPC. arkd without ARKD_TLS_CERT is dialled in
 * plaintext (h2c, arkd's default); lnd and tapd always use TLS, trusting the
 * system CAs when their *_TLS_CERT is unset.
 */
export const DaemonsConfig = Config.all({
  arkd: daemon("ARKD", 7070),
  lnd: daemon("LND", 10009),
  tapd: daemon("TAPD", 10029)
})
export type DaemonsConfig = Config.Config.Success<typeof DaemonsConfig>
export type DaemonConfig = DaemonsConfig["arkd"]

const leaves = (e: ConfigError.ConfigError): ReadonlyArray<{ readonly path: string; readonly message: string }> => {
  switch (e._op) {
    case "And":
    case "Or":
      return [...leaves(e.left), ...leaves(e.right)]
    default:
      return [{ path: e.path.join("_"), message: e.message }]
  }
}

/** One line naming the variable, e.g. `PORT: Expected a network port value but received abc`. */
export const describeConfigError = (e: ConfigError.ConfigError): string => {
  const first = leaves(e)[0]
  return first === undefined ? String(e) : `${first.path}: ${first.message}`
}

