import { layer, layerPermissive } from "../../../adapters/memory/metagraph.js"
import { metagraphContract } from "../../contracts/metagraph.js"
import { devPair } from "../../support/epochs.js"

const miner = devPair("//Miner1").address
const validator = devPair("//Validator1").address
const coldkey = devPair("//Cold1").address

metagraphContract(
  "memory",
  layer([{ hotkey: miner, coldkey, validatorPermit: false }, { hotkey: validator, validatorPermit: true }]),
  {
    registered: [{ hotkey: miner, coldkey, validatorPermit: false }, { hotkey: validator, validatorPermit: true }],
    unregistered: [devPair("//Stranger").address, coldkey]
  }
)

metagraphContract("permissive (METAGRAPH_FILE unset)", layerPermissive, {
  registered: [{ hotkey: miner, validatorPermit: true }, { hotkey: devPair("//Anyone").address, validatorPermit: true }],
  unregistered: []
})
