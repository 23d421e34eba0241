import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import { Effect } from "effect"

/*
 * Versioned schema. A migration, once released, is never edited: changes are
 * new entries. Every table is utf8mb4 with a binary collation so ids compare
 * exactly as the in-memory stores compare them (case and accents matter).
 * Aggregates are stored whole as JSON (`body`) next to the columns that
 * queries filter, order and lock on.
 */

const TABLE = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

const statements = (sql: SqlClient.SqlClient, ddl: ReadonlyArray<string>) =>
  Effect.forEach(ddl, (s) => sql.unsafe(s.replace("$TABLE", TABLE)), { discard: true })

const initial = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  statements(sql, [
    `CREATE TABLE sessions (
      session_id VARCHAR(191) NOT NULL PRIMARY KEY,
      user_pubkey VARCHAR(191) NOT NULL,
      status VARCHAR(32) NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      body JSON NOT NULL,
      KEY sessions_user (user_pubkey, created_at),
      KEY sessions_status (status, expires_at),
      KEY sessions_created (created_at)
    ) $TABLE`,
    `CREATE TABLE epochs (
      epoch_id VARCHAR(64) NOT NULL PRIMARY KEY,
      start_at BIGINT NOT NULL,
      body JSON NOT NULL,
      KEY epochs_start (start_at)
    ) $TABLE`,
    // A row with a NULL body is a lock placeholder for a (hotkey, epoch) that has no status yet.
    `CREATE TABLE miner_statuses (
      hotkey VARCHAR(191) NOT NULL,
      epoch_id VARCHAR(64) NOT NULL,
      body JSON NULL,
      PRIMARY KEY (hotkey, epoch_id)
    ) $TABLE`,
    `CREATE TABLE ledger_assets (
      asset_id VARCHAR(64) NOT NULL PRIMARY KEY,
      seq BIGINT NOT NULL AUTO_INCREMENT,
      body JSON NOT NULL,
      UNIQUE KEY ledger_assets_seq (seq)
    ) $TABLE`,
    `CREATE TABLE ledger_balances (
      asset_id VARCHAR(64) NOT NULL,
      account VARCHAR(191) NOT NULL,
      user_pubkey VARCHAR(191) NULL,
      balance BIGINT NOT NULL,
      PRIMARY KEY (asset_id, account),
      KEY ledger_balances_user (user_pubkey)
    ) $TABLE`,
    `CREATE TABLE ledger_journal (
      seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      entry_id VARCHAR(191) NOT NULL,
      asset_id VARCHAR(64) NOT NULL,
      created_at BIGINT NOT NULL,
      body JSON NOT NULL,
      UNIQUE KEY ledger_journal_entry (entry_id),
      KEY ledger_journal_asset (asset_id, seq)
    ) $TABLE`,
    `CREATE TABLE ledger_postings (
      entry_seq BIGINT NOT NULL,
      position INT NOT NULL,
      account VARCHAR(191) NOT NULL,
      user_pubkey VARCHAR(191) NULL,
      amount BIGINT NOT NULL,
      PRIMARY KEY (entry_seq, position),
      KEY ledger_postings_user (user_pubkey, entry_seq)
    ) $TABLE`,
    `CREATE TABLE ledger_holds (
      hold_id VARCHAR(191) NOT NULL PRIMARY KEY,
      seq BIGINT NOT NULL AUTO_INCREMENT,
      asset_id VARCHAR(64) NOT NULL,
      owner VARCHAR(191) NOT NULL,
      status VARCHAR(16) NOT NULL,
      purpose VARCHAR(64) NOT NULL,
      body JSON NOT NULL,
      UNIQUE KEY ledger_holds_seq (seq),
      KEY ledger_holds_owner (owner, seq),
      KEY ledger_holds_status (status, seq)
    ) $TABLE`,
    `CREATE TABLE vtxos (
      vtxo_id VARCHAR(191) NOT NULL PRIMARY KEY,
      seq BIGINT NOT NULL AUTO_INCREMENT,
      asset_id VARCHAR(64) NOT NULL,
      status VARCHAR(16) NOT NULL,
      amount_sats BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      user_pubkey VARCHAR(191) NULL,
      assignment_ref VARCHAR(191) NULL,
      settlement_id VARCHAR(191) NULL,
      body JSON NOT NULL,
      UNIQUE KEY vtxos_seq (seq),
      KEY vtxos_pick (asset_id, status, amount_sats, created_at, vtxo_id),
      KEY vtxos_due (status, expires_at),
      KEY vtxos_user (user_pubkey),
      KEY vtxos_ref (assignment_ref)
    ) $TABLE`,
    `CREATE TABLE vtxo_batches (
      seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      batch_id VARCHAR(191) NOT NULL,
      asset_id VARCHAR(64) NOT NULL,
      body JSON NOT NULL,
      KEY vtxo_batches_id (batch_id),
      KEY vtxo_batches_asset (asset_id, seq)
    ) $TABLE`,
    `CREATE TABLE vtxo_settlements (
      seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      settlement_id VARCHAR(191) NOT NULL,
      body JSON NOT NULL,
      KEY vtxo_settlements_id (settlement_id)
    ) $TABLE`,
    // One row per route (both channel ends + sequence): the lock observe() takes, and the relay events parked on it.
    `CREATE TABLE packet_routes (
      src_port VARCHAR(128) NOT NULL,
      src_channel VARCHAR(64) NOT NULL,
      dst_port VARCHAR(128) NOT NULL,
      dst_channel VARCHAR(64) NOT NULL,
      sequence BIGINT NOT NULL,
      parked JSON NOT NULL,
      parked_min_at BIGINT NULL,
      PRIMARY KEY (src_port, src_channel, dst_port, dst_channel, sequence),
      KEY packet_routes_parked (parked_min_at)
    ) $TABLE`,
    `CREATE TABLE packets (
      chain_id VARCHAR(64) NOT NULL,
      src_channel VARCHAR(64) NOT NULL,
      sequence BIGINT NOT NULL,
      src_port VARCHAR(128) NOT NULL,
      dst_port VARCHAR(128) NOT NULL,
      dst_channel VARCHAR(64) NOT NULL,
      data_hash VARCHAR(64) NOT NULL,
      sender VARCHAR(255) NULL,
      receiver VARCHAR(255) NULL,
      sent_time BIGINT NOT NULL,
      sent_height BIGINT NOT NULL,
      delivered TINYINT NOT NULL,
      body JSON NOT NULL,
      PRIMARY KEY (chain_id, src_channel, sequence),
      KEY packets_route (src_port, src_channel, dst_port, dst_channel, sequence),
      KEY packets_hash (data_hash),
      KEY packets_sender (sender),
      KEY packets_receiver (receiver),
      KEY packets_sent (sent_time, sent_height)
    ) $TABLE`,
    `CREATE TABLE packet_links (
      chain_id VARCHAR(64) NOT NULL,
      port_id VARCHAR(128) NOT NULL,
      channel_id VARCHAR(64) NOT NULL,
      seq BIGINT NOT NULL AUTO_INCREMENT,
      counterparty_chain_id VARCHAR(64) NOT NULL,
      PRIMARY KEY (chain_id, port_id, channel_id),
      UNIQUE KEY packet_links_seq (seq),
      KEY packet_links_end (port_id, channel_id)
    ) $TABLE`,
    `CREATE TABLE packet_chains (
      chain_id VARCHAR(64) NOT NULL PRIMARY KEY,
      seq BIGINT NOT NULL AUTO_INCREMENT,
      cursor_height BIGINT NULL,
      head_height BIGINT NULL,
      head_time BIGINT NULL,
      UNIQUE KEY packet_chains_seq (seq)
    ) $TABLE`,
    `CREATE TABLE clearing_requests (
      token VARCHAR(191) NOT NULL PRIMARY KEY,
      user_id VARCHAR(191) NOT NULL,
      status VARCHAR(32) NOT NULL,
      created_at BIGINT NOT NULL,
      payment_tx_hash VARCHAR(191) NULL,
      body JSON NOT NULL,
      UNIQUE KEY clearing_requests_payment (payment_tx_hash),
      KEY clearing_requests_user (user_id, created_at)
    ) $TABLE`,
    `CREATE TABLE clearing_request_packets (
      token VARCHAR(191) NOT NULL,
      packet_id VARCHAR(255) NOT NULL,
      PRIMARY KEY (token, packet_id),
      KEY clearing_request_packets_packet (packet_id)
    ) $TABLE`,
    // One row per user: the lock that makes a quota check and the insert it admits one step.
    `CREATE TABLE clearing_users (
      user_id VARCHAR(191) NOT NULL PRIMARY KEY
    ) $TABLE`
  ]))

const lightningAndTransactions = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  statements(sql, [
    // The primary key is the payment hash: one payment hash is one invoice, ever.
    `CREATE TABLE lightning_invoices (
      payment_hash VARCHAR(191) NOT NULL PRIMARY KEY,
      seq BIGINT NOT NULL AUTO_INCREMENT,
      invoice_type VARCHAR(8) NOT NULL,
      user_pubkey VARCHAR(191) NOT NULL,
      status VARCHAR(16) NOT NULL,
      amount_sats BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      body JSON NOT NULL,
      UNIQUE KEY lightning_invoices_seq (seq),
      KEY lightning_invoices_user (user_pubkey, created_at),
      KEY lightning_invoices_status (status, expires_at)
    ) $TABLE`,
    `CREATE TABLE ark_transactions (
      txid VARCHAR(191) NOT NULL PRIMARY KEY,
      seq BIGINT NOT NULL AUTO_INCREMENT,
      session_id VARCHAR(191) NOT NULL,
      status VARCHAR(16) NOT NULL,
      sender_pubkey VARCHAR(191) NOT NULL,
      recipient_pubkey VARCHAR(191) NOT NULL,
      created_at BIGINT NOT NULL,
      body JSON NOT NULL,
      UNIQUE KEY ark_transactions_seq (seq),
      UNIQUE KEY ark_transactions_session (session_id),
      KEY ark_transactions_sender (sender_pubkey, created_at),
      KEY ark_transactions_recipient (recipient_pubkey, created_at)
    ) $TABLE`
  ]))

/** Every migration, by `<id>_<name>`. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0001_initial": initial,
  "0002_lightning_and_transactions": lightningAndTransactions
}

const runMigrations = Migrator.make({})({ loader: Migrator.fromRecord(migrations) })

/**
 * Brings the schema up to date; returns the migrations applied now. Replicas
 * starting together queue on a server-side named lock, so exactly one of them
 * migrates and the others find the schema ready.
 */
export const migrate = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* Effect.scoped(Effect.gen(function*() {
    const conn = yield* sql.reserve
    const [row] = yield* conn.executeValues("SELECT GET_LOCK('relaygate_migrations', 60)", [])
    if (String(row?.[0]) !== "1") {
      return yield* new Migrator.MigrationError({ reason: "locked", message: "another process held the migration lock for 60 s" })
    }
    return yield* runMigrations.pipe(
      Effect.ensuring(Effect.ignore(conn.executeValues("SELECT RELEASE_LOCK('relaygate_migrations')", [])))
    )
  }))
})
