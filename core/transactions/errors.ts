import { Schema } from "effect"

export class TransactionNotFound extends Schema.TaggedError<TransactionNotFound>()("TransactionNotFound", {
  txid: Schema.String
}) {
  override get message() {
    return `Transaction ${this.txid} not found`
  }
}

export class TransactionExists extends Schema.TaggedError<TransactionExists>()("TransactionExists", {
  txid: Schema.String
}) {
  override get message() {
    return `Transaction ${this.txid} already exists`
  }
}

export class InvalidTransactionState extends Schema.TaggedError<InvalidTransactionState>()("InvalidTransactionState", {
  txid: Schema.String,
  status: Schema.String,
  action: Schema.String
}) {
  override get message() {
    return `Cannot ${this.action}: transaction ${this.txid} is ${this.status}`
  }
}
