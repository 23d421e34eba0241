/**
 * The operators' documentation of every variable apps/config.ts reads: the
 * README's configuration table is rendered from this list (`npm run docs:readme`).
 * test/apps/config.docs.test.ts runs the Config code itself and fails when a
 * variable it reads is missing here (or one listed here is not read), when a
 * documented default is not what leaving the variable unset does, or when the
 * README's table is stale.
 */
export interface ConfigVariable {
  /** Variables documented in one row; `<CHAIN>` stands for a chain id suffix (`OSMOSIS_1` → `osmosis-1`). */
  readonly names: ReadonlyArray<string>
  /** Values that behave exactly like leaving the variable unset, by name. */
  readonly defaults?: Readonly<Record<string, string>>
  /** What leaving them unset does, when no value stands for it. */
  readonly unset?: string
  readonly meaning: string
}

const daemon = (prefix: string, what: string, port: number, plaintext: string): ConfigVariable => ({
  names: [`${prefix}_HOST`, `${prefix}_PORT`, `${prefix}_TLS_CERT`, `${prefix}_MACAROON`, `${prefix}_TLS_SERVER_NAME`],
  defaults: { [`${prefix}_PORT`]: String(port) },
  unset: `no host → simulated ${what}`,
  meaning: `gRPC; cert (PEM) and macaroon are file paths; ${plaintext}; \`_TLS_SERVER_NAME\`: the name the cert carries when it does not name the host`
})

export const CONFIG_VARIABLES: ReadonlyArray<ConfigVariable> = [
  { names: ["PORT"], defaults: { PORT: "8000" }, meaning: "HTTP port (0 picks a free one)" },
  { names: ["MODULES"], defaults: { MODULES: "ark,epochs,clearing" }, meaning: "modules mounted" },
  { names: ["LOG_LEVEL"], defaults: { LOG_LEVEL: "info" }, meaning: "`trace`, `debug`, `info`, `warning`, `error`, `fatal`, `none`" },
  { names: ["ADMIN_API_KEY"], unset: "admin routes answer 404", meaning: "`X-Admin-Key` for `/admin/*`, compared in constant time" },
  { names: ["METRICS_PORT"], unset: "`/metrics` on `PORT` only", meaning: "a second listener serving only `GET /metrics` (0 picks a free port)" },
  {
    names: ["HTTP_FAST_PATH"],
    defaults: { HTTP_FAST_PATH: "true" },
    meaning: "answer `POST /sessions/{id}/respond` and `GET /api/v1/zipcode-assignments/current` past the router, same contract (false: through it)"
  },
  {
    names: ["VERIFY_THREADS"],
    defaults: { VERIFY_THREADS: "1" },
    meaning: "worker threads verifying signatures (BIP-340, sr25519) off the event loop; 0 verifies on it"
  },
  { names: ["RATE_LIMIT_ENABLED"], defaults: { RATE_LIMIT_ENABLED: "true" }, meaning: "per-route rate limits with `X-RateLimit-*` headers" },
  {
    names: ["MAX_BODY_BYTES", "MAX_JSON_DEPTH", "MAX_HEADER_BYTES", "MAX_URL_LENGTH"],
    defaults: { MAX_BODY_BYTES: "1048576", MAX_JSON_DEPTH: "64", MAX_HEADER_BYTES: "16384", MAX_URL_LENGTH: "8192" },
    meaning: "request size limits before any parsing: 413, 400, 431, 414"
  },
  {
    names: ["HEADERS_TIMEOUT_SECONDS", "REQUEST_TIMEOUT_SECONDS"],
    defaults: { HEADERS_TIMEOUT_SECONDS: "10", REQUEST_TIMEOUT_SECONDS: "30" },
    meaning: "slow clients get 408 and the socket is closed; headers ≤ request"
  },
  { names: ["MAX_CONNECTIONS_PER_IP"], defaults: { MAX_CONNECTIONS_PER_IP: "64" }, meaning: "open sockets per client IP, more → 429 (0 = no cap, e.g. behind a proxy)" },
  {
    names: ["WS_MAX_MESSAGE_BYTES", "WS_MAX_MESSAGES_PER_MINUTE"],
    defaults: { WS_MAX_MESSAGE_BYTES: "65536", WS_MAX_MESSAGES_PER_MINUTE: "120" },
    meaning: "WebSocket limits: close 1009 / 1008"
  },
  {
    names: ["MAX_IN_FLIGHT_REQUESTS", "MAX_QUEUED_REQUESTS", "QUEUE_TIMEOUT_SECONDS", "MAX_EVENT_LOOP_DELAY_MS"],
    defaults: { MAX_IN_FLIGHT_REQUESTS: "128", MAX_QUEUED_REQUESTS: "256", QUEUE_TIMEOUT_SECONDS: "5", MAX_EVENT_LOOP_DELAY_MS: "500" },
    meaning: "overload: requests handled at once, waiting, and for how long; none while the event loop lags more than the delay; beyond → 503 with `Retry-After`"
  },
  { names: ["SHUTDOWN_TIMEOUT_SECONDS"], defaults: { SHUTDOWN_TIMEOUT_SECONDS: "20" }, meaning: "how long SIGTERM waits for in-flight work" },
  {
    names: ["CORS_ORIGINS"],
    unset: "no CORS headers",
    meaning: "`*` (any origin, no credentials) or a comma-separated list of exact origins (`https://wallet.example.com`)"
  },
  {
    names: ["DATABASE_URL"],
    unset: "memory stores",
    meaning: "`mysql://user:pass@host:3306/db` (MariaDB/MySQL): every store; migrations run at start-up (`npx tsx apps/cli.ts migrate` runs them alone)"
  },
  {
    names: ["REDIS_URL"],
    unset: "in-process rate limits, replay guard, event bus and job locks",
    meaning: "`redis://host:6379/0` (`rediss://` for TLS): shared by every replica"
  },
  { names: ["REDIS_KEY_PREFIX"], defaults: { REDIS_KEY_PREFIX: "relaygate:" }, meaning: "prepended to every Redis key and channel, so deployments can share one Redis" },
  {
    names: ["SESSION_TIMEOUT_MINUTES", "CHALLENGE_TIMEOUT_MINUTES"],
    defaults: { SESSION_TIMEOUT_MINUTES: "30", CHALLENGE_TIMEOUT_MINUTES: "5" },
    meaning: "ark sessions and their challenges"
  },
  { names: ["BITCOIN_NETWORK"], defaults: { BITCOIN_NETWORK: "regtest" }, meaning: "`mainnet`, `testnet`, `signet`, `regtest`" },
  {
    names: ["GATEWAY_PRIVATE_KEY"],
    unset: "fresh key per process, pubkey logged",
    meaning: "hex secp256k1 key; its x-only pubkey is bound into challenges (the same on every replica)"
  },
  {
    names: ["VTXO_EXPIRATION_HOURS", "VTXO_MIN_AMOUNT_SATS"],
    defaults: { VTXO_EXPIRATION_HOURS: "24", VTXO_MIN_AMOUNT_SATS: "1000" },
    meaning: "VTXO inventory"
  },
  daemon("ARKD", "arkd", 7070, "no cert → plaintext (h2c, arkd's default)"),
  daemon("LND", "lnd", 10009, "always TLS, system CAs when no cert"),
  daemon("TAPD", "tapd", 10029, "always TLS, system CAs when no cert"),
  {
    names: ["NOSTR_RELAYS", "NOSTR_PRIVATE_KEY"],
    unset: "no worker; `npm run worker` refuses to start",
    meaning: "comma-separated ws(s) URLs; hex or nsec. Set → the HTTP app runs the Nostr worker in-process too ([docs/nostr.md](docs/nostr.md))"
  },
  { names: ["EPOCH_SECRET"], unset: "fresh per process, warning logged", meaning: "HMAC key for epoch nonces (≥ 16 characters)" },
  {
    names: ["ZIPCODES_FILE"],
    unset: "bundled demo catalogue",
    meaning: "JSON array of `{zipcode, state, city, county, marketTier, geographicRegion, expectedListings}`"
  },
  {
    names: ["METAGRAPH_FILE"],
    unset: "every well-formed hotkey is a registered validator, warning logged",
    meaning: "JSON `[{hotkey, coldkey?, validatorPermit}]` or CSV"
  },
  {
    names: ["S3_BUCKET", "S3_VALIDATOR_BUCKET", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_ENDPOINT"],
    unset: "dev credentials, warning logged",
    meaning: "presigned POST grants"
  },
  { names: ["JWT_SECRET"], unset: "clearing's protected routes and the WebSocket answer 503", meaning: "HS256 key, ≥ 32 bytes" },
  { names: ["CHAINPULSE_URL"], unset: "metrics-based views empty", meaning: "`/metrics` is scraped" },
  {
    names: ["COMETBFT_RPC_<CHAIN>", "COSMOS_REST_<CHAIN>", "CLEARING_ADDRESS_<CHAIN>"],
    unset: "none",
    meaning: "per chain: packet events, payment verification, where fees are paid; e.g. `COMETBFT_RPC_OSMOSIS_1=http://host:26657`"
  },
  { names: ["CLEARING_FEE"], unset: "none", meaning: "per packet, `amount+denom` (e.g. `500000uosmo`)" },
  {
    names: ["HERMES_URL", "HERMES_BIN"],
    unset: "clearing execution answers 503",
    meaning: "REST clears a whole chain; the CLI clears exact sequences (wins when both are set)"
  },
  { names: ["CONSOLE_DIR"], unset: "the repository's `dist/console`", meaning: "the built web console served at `/console`" },
  {
    names: ["EXPLORER_TX_URL_<CHAIN>"],
    unset: "the console shows bare tx hashes",
    meaning: "explorer tx page with `{tx_hash}`, e.g. `https://www.mintscan.io/osmosis/tx/{tx_hash}`"
  }
]

const code = (s: string) => `\`${s}\``

const defaultCell = (v: ConfigVariable): string => {
  const defaults = Object.entries(v.defaults ?? {})
  const values = defaults.length === v.names.length
    ? defaults.map(([, value]) => code(value)).join(" / ")
    : defaults.map(([name, value]) => `${code(name)} ${code(value)}`).join(", ")
  return [v.unset === undefined ? "" : `unset → ${v.unset}`, values].filter((s) => s !== "").join("; ")
}

/** The README's configuration table (Markdown), one row per entry. */
export const renderConfigTable = (variables: ReadonlyArray<ConfigVariable> = CONFIG_VARIABLES): string =>
  [
    "| variable | default | meaning |",
    "|---|---|---|",
    ...variables.map((v) => `| ${v.names.map(code).join(", ")} | ${defaultCell(v)} | ${v.meaning.replace(/\|/g, "\\|")} |`)
  ].join("\n")

export const README_MARKERS = {
  start: "<!-- config-table:start (generated from apps/config.docs.ts by npm run docs:readme) -->",
  end: "<!-- config-table:end -->"
} as const

/** `text` with what lies between `markers` replaced by `content`; undefined when the markers are missing. */
export const replaceBetween = (text: string, markers: { readonly start: string; readonly end: string }, content: string): string | undefined => {
  const start = text.indexOf(markers.start)
  const end = text.indexOf(markers.end)
  if (start === -1 || end < start) return undefined
  return `${text.slice(0, start + markers.start.length)}\n${content}\n${text.slice(end)}`
}

/** `readme` with the rendered configuration table between its markers; undefined when the markers are missing. */
export const withConfigTable = (readme: string): string | undefined => replaceBetween(readme, README_MARKERS, renderConfigTable())
