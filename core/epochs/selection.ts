import { sha256Bytes } from "../shared/hash.js"
import { TIER_WEIGHTS, type ZipcodeEntry } from "./model.js"

export interface SelectionParams {
  readonly targetListings: number
  readonly tolerancePercent: number
  /** Inclusive bounds on a zipcode's expectedListings. */
  readonly minListings: number
  readonly maxListings: number
}

export interface Selection {
  /** In selection order. */
  readonly zipcodes: ReadonlyArray<ZipcodeEntry>
  readonly totalExpectedListings: number
  /** False only when no subset of the eligible zipcodes lands within target ± tolerance. */
  readonly withinTolerance: boolean
}

/** [lower, upper] total expected listings, integers (listings are whole numbers). */
export const toleranceBounds = (p: Pick<SelectionParams, "targetListings" | "tolerancePercent">): readonly [number, number] => [
  Math.ceil(p.targetListings * (1 - p.tolerancePercent / 100)),
  Math.floor(p.targetListings * (1 + p.tolerancePercent / 100))
]

export const isEligible = (
  entry: ZipcodeEntry,
  recentlyAssigned: ReadonlySet<string>,
  p: Pick<SelectionParams, "minListings" | "maxListings">
): boolean =>
  entry.expectedListings >= p.minListings && entry.expectedListings <= p.maxListings && !recentlyAssigned.has(entry.zipcode)

const TWO_POW_53 = 2 ** 53

/**
 * A uniform draw in (0, 1) that depends only on the seed and the zipcode, so
 * adding or removing other catalogue rows does not reshuffle everyone else.
 */
const uniform = (seed: number, zipcode: string): number => {
  const h = sha256Bytes(`${seed}:${zipcode}`)
  // 53 bits (all a double holds exactly): six whole bytes, then five bits of the seventh.
  let n = 0
  for (let i = 0; i < 6; i++) n = n * 256 + h[i]!
  n = n * 32 + (h[6]! >>> 3)
  return (n + 0.5) / TWO_POW_53
}

/**
 * Weighted random order without replacement (Efraimidis–Spirakis): key =
 * ln(u) / w, highest first. A PREMIUM zipcode (w 1.5) precedes an EMERGING one
 * (w 0.8) more often than not, yet every eligible zipcode can come first.
 */
const weightedOrder = (entries: ReadonlyArray<ZipcodeEntry>, seed: number): ReadonlyArray<ZipcodeEntry> =>
  entries
    .map((e) => ({ e, key: Math.log(uniform(seed, e.zipcode)) / TIER_WEIGHTS[e.marketTier] }))
    .sort((a, b) => b.key - a.key || (a.e.zipcode < b.e.zipcode ? -1 : a.e.zipcode > b.e.zipcode ? 1 : 0))
    .map(({ e }) => e)

// Exact feasibility uses one bitset of (upper + 1) bits per candidate; past this
// budget we keep the greedy result (only reachable with huge targets and catalogues).
const FEASIBILITY_BIT_BUDGET = 2 ** 28

/**
 * Walk the weighted order and take each zipcode that keeps the total within
 * the upper bound, until the target is reached. When `reachable` is given
 * (suffix subset-sum bitsets), also skip a zipcode whose inclusion would make
 * the lower bound unreachable with what is left — which turns the greedy walk
 * into one that always ends inside the bounds when any subset does.
 */
const walk = (
  order: ReadonlyArray<ZipcodeEntry>,
  target: number,
  lower: number,
  upper: number,
  reachable?: ReadonlyArray<bigint>
) => {
  const chosen: Array<ZipcodeEntry> = []
  let total = 0
  for (let i = 0; i < order.length && total < target; i++) {
    const entry = order[i]!
    const next = total + entry.expectedListings
    if (next > upper) continue
    if (reachable !== undefined && !hasSumIn(reachable[i + 1]!, lower - next, upper - next)) continue
    chosen.push(entry)
    total = next
  }
  return { chosen, total }
}

const hasSumIn = (bits: bigint, from: number, to: number): boolean => {
  if (to < 0) return false
  const lo = Math.max(0, from)
  const width = to - lo + 1
  return ((bits >> BigInt(lo)) & ((1n << BigInt(width)) - 1n)) !== 0n
}

/** reachable[i] has bit s set when some subset of order[i..] sums to s ≤ upper. */
const suffixSubsetSums = (order: ReadonlyArray<ZipcodeEntry>, upper: number): ReadonlyArray<bigint> => {
  const mask = (1n << BigInt(upper + 1)) - 1n
  const out: Array<bigint> = new Array(order.length + 1)
  out[order.length] = 1n
  for (let i = order.length - 1; i >= 0; i--) {
    const prev = out[i + 1]!
    out[i] = (prev | (prev << BigInt(order[i]!.expectedListings))) & mask
  }
  return out
}

/**
 * Choose an epoch's zipcodes. Deterministic: the same catalogue, history, params
 * and seed give the same selection. Only eligible zipcodes (listings within
 * [minListings, maxListings], not in `recentlyAssigned`) are chosen, each at most
 * once; the total lands within target ± tolerance whenever some subset of the
 * eligible zipcodes does.
 */
export const selectZipcodes = (
  catalogue: ReadonlyArray<ZipcodeEntry>,
  recentlyAssigned: ReadonlySet<string>,
  params: SelectionParams,
  seed: number
): Selection => {
  const [lower, upper] = toleranceBounds(params)
  const seen = new Set<string>()
  const eligible = [...catalogue]
    .sort((a, b) => (a.zipcode < b.zipcode ? -1 : a.zipcode > b.zipcode ? 1 : 0))
    .filter((e) => {
      if (seen.has(e.zipcode) || !isEligible(e, recentlyAssigned, params)) return false
      seen.add(e.zipcode)
      return true
    })
  const order = weightedOrder(eligible, seed)
  const greedy = walk(order, params.targetListings, lower, upper)
  const done = (r: { chosen: Array<ZipcodeEntry>; total: number }, withinTolerance: boolean): Selection => ({
    zipcodes: r.chosen,
    totalExpectedListings: r.total,
    withinTolerance
  })
  if (greedy.total >= lower && greedy.total <= upper) return done(greedy, true)
  if (upper < 0 || order.length * (upper + 1) > FEASIBILITY_BIT_BUDGET) return done(greedy, false)
  const reachable = suffixSubsetSums(order, upper)
  if (!hasSumIn(reachable[0]!, lower, upper)) return done(greedy, false)
  return done(walk(order, params.targetListings, lower, upper, reachable), true)
}
