import { Clock, Context, Effect, Layer, Option, Redacted } from "effect"
import { EpochStore } from "../../ports/epoch-store.js"
import { UploadGrants, type UploadBucket } from "../../ports/upload-grants.js"
import { ZipcodeCatalogue } from "../../ports/zipcode-catalogue.js"
import { buildEpoch, selectionSeed } from "./assignment.js"
import { makeEpochAuth } from "./auth.service.js"
import { ss58Messages, type SignedRequest } from "./auth.js"
import { epochAt, type EpochWindow, nextEpoch, parseEpochId } from "./clock.js"
import { Commitments, statusCommitments } from "./commitments.js"
import { ColdkeyMismatch, EpochNotFound, InvalidRequest, NoCurrentEpoch } from "./errors.js"
import { decideStatusUpdate } from "./machine.js"
import {
  type CompletedZipcode,
  type Epoch,
  type EpochStatus,
  epochStatus,
  FolderLayout,
  MARKET_TIERS,
  MINER_STATUSES,
  type MinerStatus,
  type MinerStatusRecord,
  SUPPORTED_VALIDATOR_FORMATS,
  type ZipcodeEntry
} from "./model.js"
import { type SelectionParams, selectZipcodes } from "./selection.js"
import { EpochsSettings } from "./settings.js"
import { hotFn } from "../shared/hot-fn.js"

export type EpochRequest = SignedRequest & { readonly epochId: string }

export interface StatusRequest extends SignedRequest {
  readonly epochId: string
  readonly nonce: string
  /** One of IN_PROGRESS, COMPLETED, FAILED, TIMEOUT (any case). */
  readonly status: string
  readonly listingsScraped?: number | undefined
  readonly zipcodesCompleted?: ReadonlyArray<{
    readonly zipcode: string
    readonly listingsScraped: number
    /** Epoch ms. */
    readonly completedAt?: number | null | undefined
  }> | undefined
  readonly s3UploadComplete?: boolean | undefined
  /** Epoch ms. */
  readonly s3UploadTimestamp?: number | undefined
}

export interface FolderAccessRequest extends SignedRequest {
  readonly coldkey: string
  /** Unix seconds the client wants the grant to last until; capped at 24 h. */
  readonly expiry?: number | undefined
}

export interface ValidatorUploadRequest extends SignedRequest {
  readonly epochId: string
  readonly purpose?: string | undefined
  readonly estimatedDataSizeMb?: number | undefined
  readonly retentionDays?: number | undefined
}

export interface UploadGrantResult {
  readonly bucket: string
  readonly url: string
  readonly fields: Readonly<Record<string, string>>
  /** The folder the grant covers (every allowed key starts with it). */
  readonly folderPath: string
  readonly epochId: string
  readonly expiresAt: number
  readonly maxFileSizeBytes: number
}

export interface Distribution {
  readonly key: string
  readonly count: number
  readonly avgListings: number
}

export interface EpochStats {
  readonly now: number
  readonly window: EpochWindow
  readonly next: EpochWindow
  /** None when the catalogue cannot fill the current epoch. */
  readonly current: Option.Option<Epoch>
  readonly catalogue: {
    readonly total: number
    /** Within [minListings, maxListings]: could ever be selected. */
    readonly active: number
    readonly byState: ReadonlyArray<Distribution>
    readonly byTier: ReadonlyArray<Distribution>
  }
  /** Newest first, the current epoch included. */
  readonly recent: ReadonlyArray<{ readonly epoch: Epoch; readonly status: EpochStatus }>
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v)

const epochIdMessages = (value: unknown): ReadonlyArray<string> =>
  typeof value !== "string"
    ? ["epochId must be a string"]
    : Option.isNone(parseEpochId(value))
    ? ["epochId must look like 2025-10-01T16-00-00 (UTC, hour 00/04/08/12/16/20)"]
    : []

const optionalIntMessages = (field: string, value: unknown, min: number): ReadonlyArray<string> =>
  value === undefined ? [] : !isInt(value) ? [`${field} must be an integer number`] : value < min ? [`${field} must not be less than ${min}`] : []

const timeMessages = (field: string, value: unknown): ReadonlyArray<string> =>
  value === undefined || value === null || (typeof value === "number" && Number.isFinite(value))
    ? []
    : [`${field} must be a valid ISO 8601 date string`]

// Runtime checks of every field, whatever its static type: HTTP edges pass JSON through unchanged.
const completedMessages = (value: unknown): ReadonlyArray<string> => {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) return ["zipcodesCompleted must be an array"]
  return value.flatMap((z: unknown, i) => {
    if (typeof z !== "object" || z === null) return [`zipcodesCompleted.${i} must be an object`]
    const item = z as Record<string, unknown>
    return [
      ...(typeof item["zipcode"] === "string" && item["zipcode"].length > 0 ? [] : [`zipcodesCompleted.${i}.zipcode should not be empty`]),
      ...(item["listingsScraped"] === undefined
        ? [`zipcodesCompleted.${i}.listingsScraped must be an integer number`]
        : optionalIntMessages(`zipcodesCompleted.${i}.listingsScraped`, item["listingsScraped"], 0)),
      ...timeMessages(`zipcodesCompleted.${i}.completedAt`, item["completedAt"])
    ]
  })
}

const statusMessages = (req: StatusRequest): ReadonlyArray<string> => [
  ...epochIdMessages(req.epochId),
  ...(typeof req.nonce !== "string" || req.nonce.length === 0 ? ["nonce should not be empty"] : []),
  ...(typeof req.status === "string" && (MINER_STATUSES as ReadonlyArray<string>).includes(req.status.toUpperCase())
    ? []
    : [`status must be one of the following values: ${MINER_STATUSES.join(", ")}`]),
  ...optionalIntMessages("listingsScraped", req.listingsScraped, 0),
  ...completedMessages(req.zipcodesCompleted),
  ...(req.s3UploadComplete === undefined || typeof req.s3UploadComplete === "boolean" ? [] : ["s3UploadComplete must be a boolean value"]),
  ...timeMessages("s3UploadTimestamp", req.s3UploadTimestamp)
]

const distribution = (
  entries: ReadonlyArray<ZipcodeEntry>,
  keyOf: (e: ZipcodeEntry) => string
): ReadonlyArray<Distribution> => {
  const acc = new Map<string, { count: number; sum: number }>()
  for (const e of entries) {
    const a = acc.get(keyOf(e)) ?? { count: 0, sum: 0 }
    acc.set(keyOf(e), { count: a.count + 1, sum: a.sum + e.expectedListings })
  }
  return [...acc.entries()]
    .map(([key, a]) => ({ key, count: a.count, avgListings: Math.round(a.sum / a.count) }))
    .sort((x, y) => y.count - x.count || (x.key < y.key ? -1 : 1))
}

export const make = Effect.gen(function*() {
  const store = yield* EpochStore
  const catalogue = yield* ZipcodeCatalogue
  const uploads = yield* UploadGrants
  const settings = yield* EpochsSettings
  const auth = yield* makeEpochAuth
  const secret = Redacted.value(settings.epochSecret)
  const params: SelectionParams = {
    targetListings: settings.targetListings,
    tolerancePercent: settings.tolerancePercent,
    minListings: settings.minListings,
    maxListings: settings.maxListings
  }

  const assignEpoch = Effect.fn("EpochService.ensureEpoch")(function*(window: EpochWindow, now: number) {
    const entries = yield* catalogue.entries()
    const recent = yield* store.list({ startAfter: window.start - settings.cooldownMs, startBefore: window.start })
    const recentlyAssigned = new Set(recent.flatMap((e) => e.zipcodes.map((z) => z.zipcode)))
    const seed = selectionSeed(secret, window.id)
    const selection = selectZipcodes(entries, recentlyAssigned, params, seed)
    if (selection.zipcodes.length === 0) {
      return yield* new NoCurrentEpoch({ epochId: window.id, reason: "no eligible zipcode in the catalogue" })
    }
    if (!selection.withinTolerance) {
      yield* Effect.logWarning("epoch assignment outside target ± tolerance: the catalogue cannot do better").pipe(
        Effect.annotateLogs({ epochId: window.id, total: selection.totalExpectedListings, target: params.targetListings })
      )
    }
    const claimed = yield* store.claim(buildEpoch({ window, selection, params, seed, secret, now }))
    return claimed.epoch
  })

  /**
   * The epoch containing `now`, assigned on first use. Selection is
   * deterministic, so racing callers (or replicas) compute the same epoch and
   * the store's insert-if-absent keeps exactly one.
   */
  const ensureEpoch = (now: number) => {
    const window = epochAt(now)
    // Every current-assignment request reads the epoch (bench row 4); only the first of an epoch assigns it.
    return Effect.flatMap(store.get(window.id), (existing) => Option.isSome(existing) ? Effect.succeed(existing.value) : assignEpoch(window, now))
  }

  const grant = (bucket: UploadBucket, key: string, folderPath: string, epochId: string, now: number, expiresAt: number) =>
    uploads.grant({
      bucket,
      key,
      keyPrefix: folderPath,
      maxBytes: settings.maxFileSizeBytes,
      expiresInSeconds: Math.max(1, Math.ceil((expiresAt - now) / 1000))
    }).pipe(Effect.map((g): UploadGrantResult => ({
      bucket: g.bucket,
      url: g.url,
      fields: g.fields,
      folderPath,
      epochId,
      expiresAt,
      maxFileSizeBytes: settings.maxFileSizeBytes
    })))

  return {
    /** For the rollover job: assign the epoch containing now, if not yet assigned. */
    ensureCurrentEpoch: Effect.fn("EpochService.ensureCurrentEpoch")(function*() {
      return yield* ensureEpoch(yield* Clock.currentTimeMillis)
    }),

    /** GET /api/v1/zipcode-assignments/current: any registered hotkey. */
    current: hotFn("EpochService.current")(function*(req: SignedRequest) {
      const { now } = yield* auth.authenticate({
        request: req,
        fieldMessages: [],
        commitments: (p) => [Commitments.currentAssignment(p.timestamp)],
        rateLimit: ["current", settings.rateLimits.current],
        role: "miner"
      })
      return yield* ensureEpoch(now)
    }),

    /** GET /api/v1/zipcode-assignments/epoch/{epochId}: validators look back at past epochs. */
    epoch: Effect.fn("EpochService.epoch")(function*(req: EpochRequest) {
      const { now } = yield* auth.authenticate({
        request: req,
        fieldMessages: epochIdMessages(req.epochId),
        commitments: (p) => [Commitments.epochValidation(req.epochId, p.timestamp)],
        rateLimit: ["epoch", settings.rateLimits.epoch],
        role: "validator"
      })
      const epoch = req.epochId === epochAt(now).id
        ? yield* ensureEpoch(now)
        : yield* store.get(req.epochId).pipe(
          Effect.flatMap(Option.match({
            onNone: () => Effect.fail(new EpochNotFound({ epochId: req.epochId })),
            onSome: Effect.succeed
          }))
        )
      return { epoch, status: epochStatus(epoch, now) }
    }),

    /** POST /api/v1/zipcode-assignments/status. */
    postStatus: Effect.fn("EpochService.postStatus")(function*(req: StatusRequest) {
      const { parts, now } = yield* auth.authenticate({
        request: req,
        fieldMessages: statusMessages(req),
        commitments: (p) => statusCommitments(p.hotkey, req.epochId, p.timestamp),
        rateLimit: ["status", settings.rateLimits.status],
        role: "miner"
      })
      const epoch = yield* store.get(req.epochId).pipe(
        Effect.flatMap(Option.match({
          onNone: () => Effect.fail(new EpochNotFound({ epochId: req.epochId })),
          onSome: Effect.succeed
        }))
      )
      const completed: ReadonlyArray<CompletedZipcode> | undefined = req.zipcodesCompleted?.map((z) => ({
        zipcode: z.zipcode,
        listingsScraped: z.listingsScraped,
        completedAt: z.completedAt ?? null
      }))
      const record: MinerStatusRecord = yield* store.updateMinerStatus(parts.hotkey, epoch.id, (current) =>
        decideStatusUpdate(epoch, current, {
          hotkey: parts.hotkey,
          nonce: req.nonce,
          status: req.status.toUpperCase() as MinerStatus,
          listingsScraped: req.listingsScraped,
          zipcodesCompleted: completed,
          s3UploadComplete: req.s3UploadComplete,
          s3UploadTimestamp: req.s3UploadTimestamp
        }, now))
      return record
    }),

    /** POST /get-folder-access: an upload grant for the miner's own folder. */
    folderAccess: Effect.fn("EpochService.folderAccess")(function*(req: FolderAccessRequest) {
      const { parts, neuron, now } = yield* auth.authenticate({
        request: req,
        fieldMessages: [...ss58Messages("coldkey", req.coldkey), ...optionalIntMessages("expiry", req.expiry, 0)],
        commitments: (p) => [Commitments.folderAccess(req.coldkey, p.hotkey, p.timestamp)],
        rateLimit: ["folder-access", settings.rateLimits.folderAccess],
        role: "miner"
      })
      if (neuron.coldkey !== undefined && neuron.coldkey !== req.coldkey) {
        return yield* new ColdkeyMismatch({ hotkey: parts.hotkey, coldkey: req.coldkey })
      }
      if (req.expiry !== undefined && req.expiry * 1000 <= now) {
        return yield* new InvalidRequest({ messages: ["expiry must be in the future"] })
      }
      const cap = now + settings.minerGrantMaxMs
      const expiresAt = req.expiry === undefined ? cap : Math.min(req.expiry * 1000, cap)
      const epochId = epochAt(now).id
      return yield* grant(
        "miner-data",
        FolderLayout.minerUploadKey(parts.hotkey, epochId, parts.timestamp),
        FolderLayout.minerFolder(parts.hotkey),
        epochId,
        now,
        expiresAt
      )
    }),

    /** POST /api/v1/s3-access/validator-upload: validators store their results. */
    validatorUpload: Effect.fn("EpochService.validatorUpload")(function*(req: ValidatorUploadRequest) {
      const maxMb = Math.floor(settings.maxFileSizeBytes / (1024 * 1024))
      const sizeMessages = req.estimatedDataSizeMb === undefined
        ? []
        : typeof req.estimatedDataSizeMb !== "number" || !Number.isFinite(req.estimatedDataSizeMb)
        ? ["estimatedDataSizeMb must be a number conforming to the specified constraints"]
        : req.estimatedDataSizeMb < 0
        ? ["estimatedDataSizeMb must not be less than 0"]
        : req.estimatedDataSizeMb > maxMb
        ? [`estimatedDataSizeMb must not be greater than ${maxMb}`]
        : []
      const { parts, now } = yield* auth.authenticate({
        request: req,
        fieldMessages: [
          ...epochIdMessages(req.epochId),
          ...(req.purpose === undefined || (typeof req.purpose === "string" && req.purpose.length > 0)
            ? []
            : ["purpose must be a non-empty string"]),
          ...sizeMessages,
          ...optionalIntMessages("retentionDays", req.retentionDays, 1)
        ],
        commitments: (p) => [Commitments.validatorUpload(p.timestamp)],
        rateLimit: ["validator-upload", settings.rateLimits.validatorUpload],
        role: "validator"
      })
      const window = Option.getOrThrow(parseEpochId(req.epochId))
      if (window.start > now) {
        return yield* new InvalidRequest({ messages: ["epochId must not name a future epoch"] })
      }
      return {
        ...(yield* grant(
          "validator-results",
          FolderLayout.validatorUploadKey(parts.hotkey, req.epochId, parts.timestamp),
          FolderLayout.validatorFolder(parts.hotkey),
          req.epochId,
          now,
          now + settings.validatorGrantMs
        )),
        supportedFormats: SUPPORTED_VALIDATOR_FORMATS
      }
    }),

    /**
     * For operators (the admin API, behind its key): the epoch containing now,
     * assigned on first use like every other read, and each miner's status.
     */
    overview: Effect.fn("EpochService.overview")(function*() {
      const now = yield* Clock.currentTimeMillis
      const window = epochAt(now)
      const epoch = yield* ensureEpoch(now).pipe(
        Effect.map(Option.some),
        Effect.catchTag("NoCurrentEpoch", () => Effect.succeed(Option.none<Epoch>()))
      )
      const miners = yield* store.minerStatuses(window.id)
      return { window, epoch, miners }
    }),

    /** GET /api/v1/zipcode-assignments/stats: public, rate-limited per client (IP). */
    stats: Effect.fn("EpochService.stats")(function*(clientKey: string) {
      yield* auth.rateLimit(`epochs:stats:${clientKey}`, settings.rateLimits.stats)
      const now = yield* Clock.currentTimeMillis
      const window = epochAt(now)
      const current = yield* ensureEpoch(now).pipe(
        Effect.map(Option.some),
        Effect.catchTag("NoCurrentEpoch", () => Effect.succeed(Option.none<Epoch>()))
      )
      const entries = yield* catalogue.entries()
      const active = entries.filter((e) => e.expectedListings >= settings.minListings && e.expectedListings <= settings.maxListings)
      const recent = yield* store.list({ startBefore: window.end, limit: settings.recentEpochs })
      const tierOrder = new Map(MARKET_TIERS.map((t, i) => [t as string, i]))
      return {
        now,
        window,
        next: nextEpoch(window),
        current,
        catalogue: {
          total: entries.length,
          active: active.length,
          byState: distribution(entries, (e) => e.state),
          byTier: [...distribution(entries, (e) => e.marketTier)].sort((a, b) => tierOrder.get(a.key)! - tierOrder.get(b.key)!)
        },
        recent: recent.map((epoch) => ({ epoch, status: epochStatus(epoch, now) }))
      } satisfies EpochStats
    })
  }
})

export class EpochService extends Context.Tag("relaygate/EpochService")<
  EpochService,
  Effect.Effect.Success<typeof make>
>() {
  static readonly layer = Layer.effect(EpochService, make)
}
