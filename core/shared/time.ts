/** Instants in the domain are epoch milliseconds; the HTTP edge renders ISO-8601. */
export type Millis = number

export const minutes = (n: number): Millis => n * 60_000
export const seconds = (n: number): Millis => n * 1_000

export const toIso = (ms: Millis): string => new Date(ms).toISOString()
