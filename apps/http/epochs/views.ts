import { Schema } from "effect"
import type { Epoch, EpochStatus } from "../../../core/epochs/model.js"
import { toIso } from "../../../core/shared/time.js"

export const ZipcodeView = Schema.Struct({
  zipcode: Schema.String,
  expectedListings: Schema.Number,
  state: Schema.String,
  city: Schema.String,
  county: Schema.NullOr(Schema.String),
  marketTier: Schema.String,
  geographicRegion: Schema.String
})

/** The spec's "Response Format" of GET /api/v1/zipcode-assignments/current. */
export const EpochView = Schema.Struct({
  success: Schema.Literal(true),
  epochId: Schema.String,
  epochStart: Schema.String,
  epochEnd: Schema.String,
  nonce: Schema.String,
  targetListings: Schema.Number,
  tolerancePercent: Schema.Number,
  submissionDeadline: Schema.String,
  zipcodes: Schema.Array(ZipcodeView),
  metadata: Schema.Struct({
    totalExpectedListings: Schema.Number,
    zipcodeCount: Schema.Number,
    algorithmVersion: Schema.String,
    selectionSeed: Schema.Number
  })
})

/** Validators' view of any epoch: the same shape plus where it stands. */
export const EpochHistoryView = Schema.Struct({ ...EpochView.fields, status: Schema.Literal("ACTIVE", "COMPLETED", "PENDING") })

export const epochView = (e: Epoch): typeof EpochView.Type => ({
  success: true,
  epochId: e.id,
  epochStart: toIso(e.start),
  epochEnd: toIso(e.end),
  nonce: e.nonce,
  targetListings: e.targetListings,
  tolerancePercent: e.tolerancePercent,
  submissionDeadline: toIso(e.end),
  zipcodes: e.zipcodes.map((z) => ({
    zipcode: z.zipcode,
    expectedListings: z.expectedListings,
    state: z.state,
    city: z.city,
    county: z.county,
    marketTier: z.marketTier,
    geographicRegion: z.geographicRegion
  })),
  metadata: {
    totalExpectedListings: e.totalExpectedListings,
    zipcodeCount: e.zipcodes.length,
    algorithmVersion: e.algorithmVersion,
    selectionSeed: e.selectionSeed
  }
})

export const epochHistoryView = (e: Epoch, status: EpochStatus): typeof EpochHistoryView.Type => ({ ...epochView(e), status })

export const StatusResult = Schema.Struct({
  success: Schema.Literal(true),
  message: Schema.String,
  epochId: Schema.String,
  status: Schema.String,
  timestamp: Schema.String
})

const GrantFields = Schema.Record({ key: Schema.String, value: Schema.String })

/** POST /get-folder-access. `url` and `folder` are what older miner clients read. */
export const FolderAccessResult = Schema.Struct({
  success: Schema.Literal(true),
  message: Schema.String,
  uploadUrl: Schema.String,
  url: Schema.String,
  folder: Schema.String,
  fields: GrantFields,
  metadata: Schema.Struct({ folderPath: Schema.String, expiresAt: Schema.String, maxFileSize: Schema.String })
})

export const ValidatorUploadResult = Schema.Struct({
  success: Schema.Literal(true),
  message: Schema.String,
  uploadUrl: Schema.String,
  url: Schema.String,
  fields: GrantFields,
  metadata: Schema.Struct({
    folderPath: Schema.String,
    expiresAt: Schema.String,
    maxFileSize: Schema.String,
    supportedFormats: Schema.Array(Schema.String)
  })
})

const Distribution = (key: "state" | "tier") =>
  Schema.Struct({ [key]: Schema.String, count: Schema.Number, avgListings: Schema.Number } as const)

/** GET /api/v1/zipcode-assignments/stats, the spec's shape. */
export const StatsView = Schema.Struct({
  success: Schema.Literal(true),
  currentTime: Schema.Number,
  systemStatus: Schema.Literal("operational", "degraded"),
  epochStatus: Schema.Struct({
    currentEpoch: Schema.NullOr(Schema.Struct({
      id: Schema.String,
      status: Schema.String,
      startTime: Schema.String,
      endTime: Schema.String,
      nonce: Schema.String,
      zipcodeCount: Schema.Number,
      targetListings: Schema.Number,
      actualExpected: Schema.Number
    })),
    timing: Schema.Struct({
      timeUntilEpochEnd: Schema.Number,
      timeUntilNextEpoch: Schema.Number,
      epochDurationHours: Schema.Number
    }),
    nextEpoch: Schema.Struct({ startTime: Schema.String })
  }),
  zipcodeStatistics: Schema.Struct({
    totalZipcodes: Schema.Number,
    activeZipcodes: Schema.Number,
    inactiveZipcodes: Schema.Number,
    stateDistribution: Schema.Array(Distribution("state")),
    tierDistribution: Schema.Array(Distribution("tier")),
    configuration: Schema.Struct({
      targetListings: Schema.Number,
      tolerancePercent: Schema.Number,
      cooldownHours: Schema.Number,
      minListings: Schema.Number,
      maxListings: Schema.Number
    })
  }),
  recentPerformance: Schema.Array(Schema.Struct({
    epochId: Schema.String,
    status: Schema.String,
    zipcodesAssigned: Schema.Number,
    targetListings: Schema.Number,
    actualExpected: Schema.Number
  }))
})

export const HealthView = Schema.Struct({
  status: Schema.Literal("ok", "error"),
  timestamp: Schema.String,
  uptime: Schema.Number,
  database: Schema.Literal("connected", "disconnected"),
  version: Schema.String,
  service: Schema.Literal("resi-labs-api")
})
