import { layer } from "../../../adapters/crypto/schnorr-libsecp.js"
import { schnorrVerifierContract } from "../../contracts/schnorr-verifier.js"

schnorrVerifierContract("tiny-secp256k1", layer)
