import { Layer } from "effect"
import * as NostrBusAdapter from "../../../adapters/nostr/bus.js"
import * as SchnorrLibsecp from "../../../adapters/crypto/schnorr-libsecp.js"
import { nostrBusContract } from "../../contracts/nostr-bus.js"

nostrBusContract("nostr-tools + ws", (relays, privateKey) =>
  NostrBusAdapter.layer({
    relays,
    privateKey,
    connectTimeout: "2 seconds",
    publishTimeout: "2 seconds",
    backoff: { initial: "50 millis", max: "500 millis" }
  }).pipe(Layer.provide(SchnorrLibsecp.layer)))
