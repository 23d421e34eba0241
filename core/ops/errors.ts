import { Schema } from "effect"

export class UnknownAlertRule extends Schema.TaggedError<UnknownAlertRule>()("UnknownAlertRule", {
  rule_name: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message() {
    return `No alert rule named ${this.rule_name} (known: ${this.known.join(", ")})`
  }
}
