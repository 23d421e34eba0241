import { Option } from "effect"
import type { Millis } from "../shared/time.js"

export const EPOCH_HOURS = 4
export const EPOCH_MS: Millis = EPOCH_HOURS * 3_600_000

/**
 * The span of instants the epoch clock is defined on: ids have a four-digit
 * year, so 1970-01-01 up to the end of 9999.
 */
export const CLOCK_MIN: Millis = 0
export const CLOCK_MAX: Millis = Date.UTC(10000, 0, 1) - 1

export interface EpochWindow {
  /** `YYYY-MM-DDTHH-00-00`, HH one of 00 04 08 12 16 20 (UTC). */
  readonly id: string
  /** Inclusive. */
  readonly start: Millis
  /** Exclusive: the next epoch's start. */
  readonly end: Millis
}

const EPOCH_ID = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-00-00$/

const pad = (n: number, width: number) => String(n).padStart(width, "0")

/**
 * The Unix epoch is midnight UTC and 4 h divides a day, so flooring to a
 * multiple of 4 h lands exactly on 00/04/08/12/16/20 UTC (no leap seconds in
 * JavaScript time). Every instant therefore has exactly one epoch.
 */
export const epochStartAt = (t: Millis): Millis => Math.floor(t / EPOCH_MS) * EPOCH_MS

export const formatEpochId = (start: Millis): string => {
  const d = new Date(start)
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}-00-00`
}

export const epochAt = (t: Millis): EpochWindow => {
  const start = epochStartAt(t)
  return { id: formatEpochId(start), start, end: start + EPOCH_MS }
}

/** The epoch an id names; none for malformed ids, impossible dates and off-boundary hours. */
export const parseEpochId = (id: string): Option.Option<EpochWindow> => {
  const m = EPOCH_ID.exec(id)
  if (m === null) return Option.none()
  const [year, month, day, hour] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])]
  if (hour % EPOCH_HOURS !== 0) return Option.none()
  const start = Date.UTC(year, month - 1, day, hour)
  // Date.UTC rolls 2025-02-30 over to March; a round trip catches it (and years 0–99, which it maps to 19xx).
  if (formatEpochId(start) !== id || start < CLOCK_MIN) return Option.none()
  return Option.some({ id, start, end: start + EPOCH_MS })
}

export const isEpochId = (id: string): boolean => Option.isSome(parseEpochId(id))

export const nextEpoch = (w: EpochWindow): EpochWindow => epochAt(w.end)
