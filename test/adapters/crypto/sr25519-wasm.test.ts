import { layer } from "../../../adapters/crypto/sr25519-wasm.js"
import { sr25519VerifierContract } from "../../contracts/sr25519-verifier.js"

sr25519VerifierContract("@polkadot/wasm-crypto", layer)
