import { layer } from "../../../adapters/crypto/sr25519-polkadot.js"
import { sr25519VerifierContract } from "../../contracts/sr25519-verifier.js"

sr25519VerifierContract("@polkadot/util-crypto", layer)
