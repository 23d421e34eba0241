import { Context, Data, type Effect } from "effect"

/** Which bucket a grant is for: miners' scraped data or validators' results. */
export type UploadBucket = "miner-data" | "validator-results"

export interface UploadGrantRequest {
  readonly bucket: UploadBucket
  /** The key handed to the uploader as `fields.key`; it starts with `keyPrefix`. */
  readonly key: string
  /** Every key the grant allows starts with this (a `starts-with $key` policy condition). */
  readonly keyPrefix: string
  /** Largest object accepted, bytes (`content-length-range`). */
  readonly maxBytes: number
  readonly expiresInSeconds: number
}

export interface UploadGrant {
  /** Where to POST the multipart form. */
  readonly url: string
  readonly bucket: string
  /** Form fields to send before the file, including `key`, `Policy` and the signature. */
  readonly fields: Readonly<Record<string, string>>
}

export class UploadGrantFailed extends Data.TaggedError("UploadGrantFailed")<{
  readonly reason: string
  readonly cause?: unknown
}> {}

/** Browser-style upload grants (S3 presigned POST): the holder can write under a prefix, nothing else. */
export class UploadGrants extends Context.Tag("relaygate/UploadGrants")<
  UploadGrants,
  {
    readonly grant: (request: UploadGrantRequest) => Effect.Effect<UploadGrant, UploadGrantFailed>
  }
>() {}
