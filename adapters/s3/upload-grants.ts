import { S3Client } from "@aws-sdk/client-s3"
import { createPresignedPost } from "@aws-sdk/s3-presigned-post"
import { Effect, Layer, Redacted } from "effect"
import { type UploadGrantRequest, UploadGrantFailed, UploadGrants } from "../../ports/upload-grants.js"

/** S3_BUCKET, S3_VALIDATOR_BUCKET, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_ENDPOINT. */
export interface S3Settings {
  readonly minerBucket: string
  readonly validatorBucket: string
  readonly region: string
  readonly accessKeyId: string
  readonly secretAccessKey: Redacted.Redacted<string>
  /** A MinIO or other S3-compatible endpoint; unset → AWS. Path-style URLs when set. */
  readonly endpoint?: string | undefined
}

/**
 * Stand-in credentials for development: grants are well-formed and signed, so
 * clients work end to end, but no real bucket accepts them.
 */
export const devSettings: S3Settings = {
  minerBucket: "relaygate-dev-miner-data",
  validatorBucket: "relaygate-dev-validator-results",
  region: "us-east-2",
  accessKeyId: "AKIARELAYGATEDEV0000",
  secretAccessKey: Redacted.make("relaygate-development-secret-not-for-production")
}

/**
 * Presigned POST grants. The policy allows any key under `keyPrefix`
 * (`starts-with $key`), objects up to `maxBytes` (`content-length-range`),
 * private ACL only, until the expiry. `fields.key` is the suggested key; the
 * uploader may replace it with any key under the prefix.
 */
export const make = (settings: S3Settings) =>
  Effect.gen(function*() {
    const client = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new S3Client({
          region: settings.region,
          credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: Redacted.value(settings.secretAccessKey) },
          ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint, forcePathStyle: true })
        })
      ),
      (c) => Effect.sync(() => c.destroy())
    )

    return UploadGrants.of({
      grant: Effect.fn("UploadGrants.grant")(function*(req: UploadGrantRequest) {
        if (!req.key.startsWith(req.keyPrefix)) {
          return yield* new UploadGrantFailed({ reason: `key ${req.key} is outside the granted prefix ${req.keyPrefix}` })
        }
        const bucket = req.bucket === "miner-data" ? settings.minerBucket : settings.validatorBucket
        const post = yield* Effect.tryPromise({
          // A Key ending in ${filename} makes the library emit the starts-with
          // condition instead of an exact-key one; fields.key is set below.
          try: () =>
            createPresignedPost(client, {
              Bucket: bucket,
              Key: `${req.keyPrefix}\${filename}`,
              Conditions: [["content-length-range", 1, req.maxBytes]],
              Fields: { acl: "private" },
              Expires: req.expiresInSeconds
            }),
          catch: (cause) => new UploadGrantFailed({ reason: "could not sign the upload policy", cause })
        })
        return { url: post.url, bucket, fields: { ...post.fields, key: req.key } }
      })
    })
  })

export const layer = (settings: S3Settings) => Layer.scoped(UploadGrants, make(settings))
