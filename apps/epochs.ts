import { Effect, Layer, Option, Redacted } from "effect"
import { EpochService } from "../core/epochs/service.js"
import { defaultSettings, EpochsSettings } from "../core/epochs/settings.js"
import { Sr25519VerifierLive } from "./verifiers.js"
import * as FileMetagraph from "../adapters/file/metagraph.js"
import * as Zipcodes from "../adapters/file/zipcodes.js"
import * as MemoryMetagraph from "../adapters/memory/metagraph.js"
import * as S3Grants from "../adapters/s3/upload-grants.js"
import { randomKeyHex } from "./ark-signing.js"
import { EpochsConfig, ServerConfig } from "./config.js"
import { EpochStoreLive } from "./persistence.js"
import { RequestGuardsLive } from "./request-guards.js"

/** S3_* variables, each falling back to the development stand-in (warned about: such grants upload nowhere). */
const s3Settings = (s3: EpochsConfig["s3"]) =>
  Effect.gen(function*() {
    const dev = S3Grants.devSettings
    if (Option.isNone(s3.accessKeyId) || Option.isNone(s3.secretAccessKey)) {
      yield* Effect.logWarning("S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY are not set: upload grants are signed with development credentials")
    }
    return {
      minerBucket: Option.getOrElse(s3.bucket, () => dev.minerBucket),
      validatorBucket: Option.getOrElse(s3.validatorBucket, () => dev.validatorBucket),
      region: Option.getOrElse(s3.region, () => dev.region),
      accessKeyId: Option.getOrElse(s3.accessKeyId, () => dev.accessKeyId),
      secretAccessKey: Option.getOrElse(s3.secretAccessKey, () => dev.secretAccessKey),
      endpoint: Option.getOrUndefined(s3.endpoint)
    } satisfies S3Grants.S3Settings
  })

/**
 * The epochs module (Resi Labs API): assignments on the EpochStore (MariaDB or memory), the zipcode
 * catalogue (ZIPCODES_FILE or the bundled demo), the metagraph (METAGRAPH_FILE
 * or permissive), sr25519 through WASM and S3 presigned POST grants.
 */
export const EpochsLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const config = yield* EpochsConfig
    const { rateLimitEnabled } = yield* ServerConfig
    const secret = yield* Option.match(config.epochSecret, {
      onSome: Effect.succeed,
      onNone: () =>
        Effect.logWarning("EPOCH_SECRET is not set: epoch nonces use a fresh secret for this process only").pipe(
          Effect.zipRight(randomKeyHex),
          Effect.map(Redacted.make)
        )
    })
    const catalogue = Option.match(config.zipcodesFile, {
      onNone: () => Zipcodes.layerDemo,
      onSome: (path) => Zipcodes.layerFile(path)
    }).pipe(Layer.mapError((e) => new Error(`ZIPCODES_FILE: ${e.message}`)))
    const metagraph = Option.match(config.metagraphFile, {
      onNone: () => MemoryMetagraph.layerPermissive,
      onSome: (path) => FileMetagraph.layer(path).pipe(Layer.mapError((e) => new Error(`METAGRAPH_FILE: ${e.reason}`)))
    })
    return EpochService.layer.pipe(
      Layer.provideMerge(Layer.mergeAll(
        EpochStoreLive,
        catalogue,
        metagraph,
        Sr25519VerifierLive,
        S3Grants.layer(yield* s3Settings(config.s3)),
        EpochsSettings.layer({ ...defaultSettings(secret), rateLimitEnabled })
      ))
    )
  })
).pipe(Layer.provideMerge(RequestGuardsLive))
