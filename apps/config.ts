import { secp256k1 } from "@noble/curves/secp256k1.js"
import { bech32 } from "@scure/base"
import { Config, ConfigError, Either, LogLevel, Option, Redacted } from "effect"

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
  rateLimitEnabled: Config.boolean("RATE_LIMIT_ENABLED").pipe(Config.withDefault(true))
})
export type ServerConfig = Config.Config.Success<typeof ServerConfig>

export const ArkConfig = Config.all({
  sessionTimeoutMinutes: positiveInt("SESSION_TIMEOUT_MINUTES", 30),
  challengeTimeoutMinutes: positiveInt("CHALLENGE_TIMEOUT_MINUTES", 5),
  bitcoinNetwork: Config.literal("mainnet", "testnet", "signet", "regtest")("BITCOIN_NETWORK").pipe(
    Config.withDefault("regtest" as const)
  ),
  gatewayPrivateKey: hexKey("GATEWAY_PRIVATE_KEY")
})
export type ArkConfig = Config.Config.Success<typeof ArkConfig>

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

