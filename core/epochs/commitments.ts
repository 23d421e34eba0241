/**
 * The UTF-8 strings clients sign with their hotkey (spec "Commitment String
 * Formats"). Timestamps are Unix seconds, exactly as sent in the request.
 */
export const Commitments = {
  currentAssignment: (timestamp: number) => `zipcode:assignment:current:${timestamp}`,
  epochValidation: (epochId: string, timestamp: number) => `zipcode:validation:${epochId}:${timestamp}`,
  minerStatus: (hotkey: string, epochId: string, timestamp: number) => `miner:status:${hotkey}:${epochId}:${timestamp}`,
  /** What current miner clients send for status updates (no hotkey inside). */
  zipcodeStatus: (epochId: string, timestamp: number) => `zipcode:status:${epochId}:${timestamp}`,
  folderAccess: (coldkey: string, hotkey: string, timestamp: number) => `s3:data:access:${coldkey}:${hotkey}:${timestamp}`,
  validatorUpload: (timestamp: number) => `s3:validator:upload:${timestamp}`
} as const

/** Status updates: the spec's form first, then the one miners in the field use. */
export const statusCommitments = (hotkey: string, epochId: string, timestamp: number): ReadonlyArray<string> => [
  Commitments.minerStatus(hotkey, epochId, timestamp),
  Commitments.zipcodeStatus(epochId, timestamp)
]
