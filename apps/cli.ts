import { NodeRuntime } from "@effect/platform-node"
import { ConfigError, Console, Effect, Layer, Option, Redacted } from "effect"
import { nip19 } from "nostr-tools"
import * as MariaDb from "../adapters/mariadb/client.js"
import * as MariaDbMigrations from "../adapters/mariadb/migrations.js"
import { hexToBytes } from "../core/shared/hex.js"
import { AppLive, WorkerLive } from "./app.js"
import { randomKeyHex } from "./ark-signing.js"
import { describeConfigError, NostrConfig, PersistenceConfig } from "./config.js"

const USAGE = "usage: relaygate serve | worker | migrate | keygen"

/** Start-up failures are one line naming the cause, then exit 1; never a stack trace. */
const oneLine = (e: unknown): string =>
  ConfigError.isConfigError(e)
    ? `invalid configuration: ${describeConfigError(e)}`
    : typeof e === "object" && e !== null && "message" in e && typeof e.message === "string" && e.message !== ""
    ? e.message
    : String(e)

const exitWith = (code: number, line: string) =>
  Console.error(`relaygate: ${line}`).pipe(Effect.zipRight(Effect.sync(() => { process.exitCode = code })))

const serve = Layer.launch(AppLive)

const worker = Effect.gen(function*() {
  const nostr = yield* NostrConfig
  if (Option.isNone(nostr)) return yield* exitWith(1, "the worker needs NOSTR_RELAYS and NOSTR_PRIVATE_KEY")
  return yield* Layer.launch(WorkerLive)
})

/** Brings the DATABASE_URL schema up to date (serve does the same at start-up) and says what it applied. */
const migrate = Effect.gen(function*() {
  const { databaseUrl } = yield* PersistenceConfig
  if (Option.isNone(databaseUrl)) return yield* Console.log("DATABASE_URL is not set: memory stores need no migration")
  const applied = yield* MariaDbMigrations.migrate.pipe(
    Effect.mapError((e) => new MariaDb.DatabaseStartupFailed({ message: `DATABASE_URL: migration failed: ${e.message}` })),
    Effect.provide(MariaDb.layer(databaseUrl.value))
  )
  yield* Console.log(
    applied.length === 0
      ? `${MariaDb.describeUrl(Redacted.value(databaseUrl.value))}: schema is up to date`
      : `${MariaDb.describeUrl(Redacted.value(databaseUrl.value))}: applied ${applied.map(([id, name]) => `${String(id).padStart(4, "0")}_${name}`).join(", ")}`
  )
})

/** Prints a new secp256k1 key for GATEWAY_PRIVATE_KEY / NOSTR_PRIVATE_KEY, hex and NIP-19. */
const keygen = Effect.gen(function*() {
  const sk = yield* randomKeyHex
  const { getPublicKey } = yield* Effect.promise(() => import("nostr-tools/pure"))
  const pk = getPublicKey(hexToBytes(sk))
  yield* Console.log(`private_key_hex=${sk}\nnsec=${nip19.nsecEncode(hexToBytes(sk))}\npubkey_hex=${pk}\nnpub=${nip19.npubEncode(pk)}`)
})

const commands: Record<string, Effect.Effect<unknown, unknown>> = { serve, worker, migrate, keygen }

const command = commands[process.argv[2] ?? "serve"]

const program: Effect.Effect<unknown> = command === undefined
  ? exitWith(2, USAGE)
  : command.pipe(Effect.catchAll((e) => exitWith(1, oneLine(e))))

NodeRuntime.runMain(program, { disableErrorReporting: true })
