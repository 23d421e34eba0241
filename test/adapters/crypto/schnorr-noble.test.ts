import { layer } from "../../../adapters/crypto/schnorr-noble.js"
import { schnorrVerifierContract } from "../../contracts/schnorr-verifier.js"

schnorrVerifierContract("@noble/curves", layer)
