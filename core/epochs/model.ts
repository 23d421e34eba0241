import { Schema } from "effect"
import { isEpochId } from "./clock.js"
import { isSs58Address } from "./ss58.js"

/** `2025-10-01T16-00-00`: the UTC start of a 4-hour epoch. */
export const EpochId = Schema.String.pipe(
  Schema.filter(isEpochId, { message: () => "epochId must look like 2025-10-01T16-00-00 (UTC, hour 00/04/08/12/16/20)" }),
  Schema.brand("EpochId")
)
export type EpochId = typeof EpochId.Type

/** An SS58 (prefix 42) account address: a miner or validator hotkey, or a coldkey. */
export const Ss58Address = Schema.String.pipe(
  Schema.filter(isSs58Address, { message: () => "must be an SS58 address with network prefix 42" }),
  Schema.brand("Ss58Address")
)
export type Ss58Address = typeof Ss58Address.Type

export const MARKET_TIERS = ["PREMIUM", "STANDARD", "EMERGING"] as const
export const MarketTier = Schema.Literal(...MARKET_TIERS)
export type MarketTier = typeof MarketTier.Type

/** Selection weight per tier: premium markets come up about twice as often as emerging ones. */
export const TIER_WEIGHTS: Readonly<Record<MarketTier, number>> = { PREMIUM: 1.5, STANDARD: 1.0, EMERGING: 0.8 }

export const ZipcodeEntry = Schema.Struct({
  zipcode: Schema.String.pipe(Schema.pattern(/^\d{5}$/)),
  state: Schema.String.pipe(Schema.nonEmptyString()),
  city: Schema.String.pipe(Schema.nonEmptyString()),
  county: Schema.NullOr(Schema.String),
  marketTier: MarketTier,
  geographicRegion: Schema.String.pipe(Schema.nonEmptyString()),
  expectedListings: Schema.Int.pipe(Schema.nonNegative())
})
export type ZipcodeEntry = typeof ZipcodeEntry.Type

export const ALGORITHM_VERSION = "v1.0"

/** One epoch's assignment. Created once, never changed afterwards. */
export const Epoch = Schema.Struct({
  id: EpochId,
  start: Schema.Number,
  end: Schema.Number,
  /** First 16 hex of HMAC-SHA256(EPOCH_SECRET, `${id}:${ISO start}:${zipcodesHash}`). */
  nonce: Schema.String,
  targetListings: Schema.Int,
  tolerancePercent: Schema.Number,
  /** In selection order. */
  zipcodes: Schema.Array(ZipcodeEntry),
  totalExpectedListings: Schema.Int,
  selectionSeed: Schema.Int,
  algorithmVersion: Schema.String,
  createdAt: Schema.Number
})
export type Epoch = typeof Epoch.Type

export type EpochStatus = "ACTIVE" | "COMPLETED" | "PENDING"

export const epochStatus = (epoch: Pick<Epoch, "start" | "end">, now: number): EpochStatus =>
  now < epoch.start ? "PENDING" : now < epoch.end ? "ACTIVE" : "COMPLETED"

export const MINER_STATUSES = ["IN_PROGRESS", "COMPLETED", "FAILED", "TIMEOUT"] as const
export const MinerStatus = Schema.Literal(...MINER_STATUSES)
export type MinerStatus = typeof MinerStatus.Type

export const CompletedZipcode = Schema.Struct({
  zipcode: Schema.String,
  listingsScraped: Schema.Int.pipe(Schema.nonNegative()),
  completedAt: Schema.NullOr(Schema.Number)
})
export type CompletedZipcode = typeof CompletedZipcode.Type

/** What a miner last reported for one epoch; one record per (hotkey, epoch). */
export const MinerStatusRecord = Schema.Struct({
  hotkey: Schema.String,
  epochId: Schema.String,
  status: MinerStatus,
  listingsScraped: Schema.NullOr(Schema.Int),
  zipcodesCompleted: Schema.Array(CompletedZipcode),
  s3UploadComplete: Schema.Boolean,
  s3UploadTimestamp: Schema.NullOr(Schema.Number),
  /** How many updates were accepted, this one included. */
  updates: Schema.Int,
  createdAt: Schema.Number,
  updatedAt: Schema.Number
})
export type MinerStatusRecord = typeof MinerStatusRecord.Type

/**
 * S3 layout (spec "File Upload Structure"). Grants allow any key under the
 * folder; the suggested key adds the epoch and request timestamp.
 */
export const FolderLayout = {
  minerFolder: (hotkey: string) => `data/hotkey=${hotkey}/`,
  minerUploadKey: (hotkey: string, epochId: string, timestamp: number) =>
    `data/hotkey=${hotkey}/epoch=${epochId}/timestamp=${timestamp}/`,
  validatorFolder: (hotkey: string) => `validators/${hotkey}/`,
  validatorUploadKey: (hotkey: string, epochId: string, timestamp: number) =>
    `validators/${hotkey}/${epochId}/validation_results/${timestamp}/`
} as const

export const SUPPORTED_VALIDATOR_FORMATS = ["parquet", "csv", "json"] as const
