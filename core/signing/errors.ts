import { Schema } from "effect"

export class SessionNotFound extends Schema.TaggedError<SessionNotFound>()("SessionNotFound", {
  session_id: Schema.String
}) {
  override get message() {
    return `Session ${this.session_id} not found`
  }
}

/** The command is not allowed in the session's (or ceremony's) current state. */
export class InvalidSessionState extends Schema.TaggedError<InvalidSessionState>()("InvalidSessionState", {
  session_id: Schema.String,
  status: Schema.String,
  action: Schema.String,
  detail: Schema.optional(Schema.String)
}) {
  override get message() {
    return `Cannot ${this.action}: session ${this.session_id} is ${this.status}${this.detail ? ` (${this.detail})` : ""}`
  }
}

export class SessionExpired extends Schema.TaggedError<SessionExpired>()("SessionExpired", {
  session_id: Schema.String
}) {
  override get message() {
    return `Session ${this.session_id} has expired`
  }
}

export class ChallengeExpired extends Schema.TaggedError<ChallengeExpired>()("ChallengeExpired", {
  session_id: Schema.String,
  challenge_id: Schema.String
}) {
  override get message() {
    return `Challenge ${this.challenge_id} has expired; request a new challenge`
  }
}

export class ChallengeAlreadyUsed extends Schema.TaggedError<ChallengeAlreadyUsed>()("ChallengeAlreadyUsed", {
  session_id: Schema.String,
  challenge_id: Schema.String
}) {
  override get message() {
    return `Challenge ${this.challenge_id} was already answered; a signature is accepted once`
  }
}

export class InvalidSignature extends Schema.TaggedError<InvalidSignature>()("InvalidSignature", {
  session_id: Schema.String,
  attempts_left: Schema.Number
}) {
  override get message() {
    return this.attempts_left > 0
      ? `Signature does not verify against the challenge; ${this.attempts_left} attempt(s) left`
      : "Signature does not verify against the challenge; the session has failed"
  }
}

export class PubkeyMismatch extends Schema.TaggedError<PubkeyMismatch>()("PubkeyMismatch", {
  session_id: Schema.String
}) {
  override get message() {
    return `user_pubkey does not match the key session ${this.session_id} was created for`
  }
}

export class InvalidIntent extends Schema.TaggedError<InvalidIntent>()("InvalidIntent", {
  reason: Schema.String
}) {
  override get message() {
    return `Invalid intent_data: ${this.reason}`
  }
}

export class StepOutOfOrder extends Schema.TaggedError<StepOutOfOrder>()("StepOutOfOrder", {
  session_id: Schema.String,
  requested: Schema.Number,
  expected: Schema.Number
}) {
  override get message() {
    return `Step ${this.requested} cannot run now; the next step is ${this.expected}`
  }
}

export class CeremonyNotFound extends Schema.TaggedError<CeremonyNotFound>()("CeremonyNotFound", {
  session_id: Schema.String
}) {
  override get message() {
    return `No signing ceremony for session ${this.session_id}`
  }
}

/** A step failed; the ceremony and its session are now failed. */
export class CeremonyStepFailed extends Schema.TaggedError<CeremonyStepFailed>()("CeremonyStepFailed", {
  session_id: Schema.String,
  step: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return `Ceremony step ${this.step} failed: ${this.reason}`
  }
}

export const SigningError = Schema.Union(
  SessionNotFound,
  InvalidSessionState,
  SessionExpired,
  ChallengeExpired,
  ChallengeAlreadyUsed,
  InvalidSignature,
  PubkeyMismatch,
  InvalidIntent,
  StepOutOfOrder,
  CeremonyNotFound,
  CeremonyStepFailed
)
export type SigningError = typeof SigningError.Type
