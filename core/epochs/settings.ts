import { Context, Layer, type Redacted } from "effect"
import type { Millis } from "../shared/time.js"

export interface RateLimitRule {
  readonly limit: number
  readonly windowMs: Millis
}

export interface EpochsSettingsShape {
  /** EPOCH_SECRET: HMAC key for nonces and selection seeds. */
  readonly epochSecret: Redacted.Redacted<string>
  readonly targetListings: number
  readonly tolerancePercent: number
  /** A zipcode assigned in an epoch starting within this span before another epoch's start is not eligible for it. */
  readonly cooldownMs: Millis
  readonly minListings: number
  readonly maxListings: number
  /** RATE_LIMIT_ENABLED. */
  readonly rateLimitEnabled: boolean
  readonly rateLimits: {
    readonly current: RateLimitRule
    readonly epoch: RateLimitRule
    readonly status: RateLimitRule
    readonly folderAccess: RateLimitRule
    readonly validatorUpload: RateLimitRule
    readonly stats: RateLimitRule
  }
  /** Miner grants last until the requested expiry, at most this long. */
  readonly minerGrantMaxMs: Millis
  readonly validatorGrantMs: Millis
  readonly maxFileSizeBytes: number
  /** How many past epochs the stats show. */
  readonly recentEpochs: number
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** The spec's numbers: 10 000 ± 10 % listings, 200–3000 per zipcode, 24 h cooldown, its rate limits. */
export const defaultSettings = (epochSecret: Redacted.Redacted<string>): EpochsSettingsShape => ({
  epochSecret,
  targetListings: 10_000,
  tolerancePercent: 10,
  cooldownMs: 24 * HOUR,
  minListings: 200,
  maxListings: 3000,
  rateLimitEnabled: true,
  rateLimits: {
    current: { limit: 10, windowMs: MINUTE },
    // Not in the spec's table; the original service allowed validators 20 historical fetches per hour.
    epoch: { limit: 20, windowMs: HOUR },
    status: { limit: 5, windowMs: MINUTE },
    folderAccess: { limit: 10, windowMs: MINUTE },
    validatorUpload: { limit: 5, windowMs: HOUR },
    stats: { limit: 30, windowMs: MINUTE }
  },
  minerGrantMaxMs: 24 * HOUR,
  validatorGrantMs: 4 * HOUR,
  maxFileSizeBytes: 100 * 1024 * 1024,
  recentEpochs: 5
})

export class EpochsSettings extends Context.Tag("relaygate/EpochsSettings")<EpochsSettings, EpochsSettingsShape>() {
  static readonly layer = (settings: EpochsSettingsShape) => Layer.succeed(EpochsSettings, settings)
}

/** "100MB": how the spec renders maxFileSize. */
export const describeBytes = (bytes: number): string =>
  bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)}MB` : bytes % 1024 === 0 ? `${bytes / 1024}KB` : `${bytes}B`
