import { Schema } from "effect"
import { UnknownAlertRule } from "../../../core/ops/errors.js"
import { arkBody } from "../ark/errors.js"

/**
 * The admin API answers with the ark module's `{ error, code }` body: it is
 * the ark gateway's admin surface (spec/ark-gateway.md, "Admin API").
 */

/** No X-Admin-Key / ?admin_key=, or the wrong one. */
export class AdminUnauthorized extends Schema.TaggedError<AdminUnauthorized>()("AdminUnauthorized", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
}

/** A backup was asked of a deployment whose stores are in memory. */
export class BackupUnavailable extends Schema.TaggedError<BackupUnavailable>()("BackupUnavailable", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
}

/** A CPU profile is already being taken (the inspector profiles one at a time). */
export class ProfileRunning extends Schema.TaggedError<ProfileRunning>()("ProfileRunning", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
}

export const UnauthorizedBody = arkBody(AdminUnauthorized, "UNAUTHORIZED", 401)
export const UnknownRuleBody = arkBody(UnknownAlertRule, "ALERT_RULE_NOT_FOUND", 404)
export const BackupUnavailableBody = arkBody(BackupUnavailable, "BACKUP_UNAVAILABLE", 409)
export const ProfileRunningBody = arkBody(ProfileRunning, "PROFILE_RUNNING", 409)
