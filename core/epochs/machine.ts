import { Either, Option } from "effect"
import { InvalidRequest, InvalidStatusTransition, NonceMismatch, SubmissionClosed } from "./errors.js"
import type { CompletedZipcode, Epoch, MinerStatus, MinerStatusRecord } from "./model.js"

/**
 * COMPLETED and TIMEOUT end a miner's epoch (they may be repeated, e.g. a
 * client retrying). FAILED does not: a miner that crashed may resume with
 * IN_PROGRESS and still complete within the epoch.
 */
export const FINAL_STATUSES: ReadonlySet<MinerStatus> = new Set(["COMPLETED", "TIMEOUT"])

export const canTransition = (from: Option.Option<MinerStatus>, to: MinerStatus): boolean =>
  Option.match(from, { onNone: () => true, onSome: (f) => !FINAL_STATUSES.has(f) || f === to })

export interface StatusUpdate {
  readonly hotkey: string
  readonly nonce: string
  readonly status: MinerStatus
  readonly listingsScraped?: number | undefined
  readonly zipcodesCompleted?: ReadonlyArray<CompletedZipcode> | undefined
  readonly s3UploadComplete?: boolean | undefined
  readonly s3UploadTimestamp?: number | undefined
}

export type StatusUpdateError = NonceMismatch | SubmissionClosed | InvalidStatusTransition | InvalidRequest

/** Later reports of a zipcode replace earlier ones; clients send either deltas or the whole list. */
const mergeCompleted = (
  previous: ReadonlyArray<CompletedZipcode>,
  next: ReadonlyArray<CompletedZipcode>
): ReadonlyArray<CompletedZipcode> => {
  const byZip = new Map(previous.map((z) => [z.zipcode, z]))
  for (const z of next) byZip.set(z.zipcode, z)
  return [...byZip.values()]
}

/**
 * Decide a miner's status update for an epoch: the nonce must be the epoch's,
 * the deadline (epoch end) not passed, reported zipcodes must be assigned in
 * the epoch, and a final status stays final.
 */
export const decideStatusUpdate = (
  epoch: Epoch,
  current: Option.Option<MinerStatusRecord>,
  update: StatusUpdate,
  now: number
): Either.Either<MinerStatusRecord, StatusUpdateError> => {
  if (update.nonce !== epoch.nonce) return Either.left(new NonceMismatch({ epochId: epoch.id }))
  if (now >= epoch.end) return Either.left(new SubmissionClosed({ epochId: epoch.id, deadline: epoch.end }))
  const assigned = new Set(epoch.zipcodes.map((z) => z.zipcode))
  const foreign = (update.zipcodesCompleted ?? []).filter((z) => !assigned.has(z.zipcode)).map((z) => z.zipcode)
  if (foreign.length > 0) {
    return Either.left(new InvalidRequest({ messages: [`zipcodesCompleted contains zipcodes not assigned in epoch ${epoch.id}: ${foreign.join(", ")}`] }))
  }
  const from = Option.map(current, (c) => c.status)
  if (!canTransition(from, update.status)) {
    return Either.left(new InvalidStatusTransition({ epochId: epoch.id, from: Option.getOrThrow(from), to: update.status }))
  }
  const prev = Option.getOrNull(current)
  return Either.right({
    hotkey: update.hotkey,
    epochId: epoch.id,
    status: update.status,
    listingsScraped: update.listingsScraped ?? prev?.listingsScraped ?? null,
    zipcodesCompleted: mergeCompleted(prev?.zipcodesCompleted ?? [], update.zipcodesCompleted ?? []),
    // An upload that happened does not un-happen when a later report omits it.
    s3UploadComplete: (prev?.s3UploadComplete ?? false) || (update.s3UploadComplete ?? false),
    s3UploadTimestamp: update.s3UploadTimestamp ?? prev?.s3UploadTimestamp ?? null,
    updates: (prev?.updates ?? 0) + 1,
    createdAt: prev?.createdAt ?? now,
    updatedAt: now
  })
}
