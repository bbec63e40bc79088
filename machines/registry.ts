/**
 * Every protocol model the engine knows. Each protocol is a machine module (machines/<p>.ts:
 * the XState machine, its event alphabet, bounds and variants) and a properties module
 * (properties/<p>.ts), joined here: properties read the machine, nothing reads back. The engine
 * and the CLI work only from `models`; a new protocol is two imports and one entry here.
 * Worker threads of the parallel explorer import this module and find a model by name.
 */
import { withProperties, type ModelDefinition } from '../src/model/model.ts';
import { idpfXnMachine } from './idpf-xn.ts';
import { mcdiMachine } from './mcdi.ts';
import { micCosmMachine } from './mic-cosm.ts';
import { pciDoeMachine } from './pci-doe.ts';
import { scmiVirtioMachine } from './scmi-virtio.ts';
import { idpfXnProperties } from '../properties/idpf-xn.ts';
import { mcdiProperties } from '../properties/mcdi.ts';
import { micCosmProperties } from '../properties/mic-cosm.ts';
import { pciDoeProperties } from '../properties/pci-doe.ts';
import { scmiVirtioProperties } from '../properties/scmi-virtio.ts';

const here = import.meta.url;

export const mcdiModel = withProperties(mcdiMachine, mcdiProperties, here);
export const scmiVirtioModel = withProperties(scmiVirtioMachine, scmiVirtioProperties, here);
export const pciDoeModel = withProperties(pciDoeMachine, pciDoeProperties, here);
export const idpfXnModel = withProperties(idpfXnMachine, idpfXnProperties, here);
export const micCosmModel = withProperties(micCosmMachine, micCosmProperties, here);

export const models: ModelDefinition[] = [
  mcdiModel,
  scmiVirtioModel,
  pciDoeModel,
  idpfXnModel,
  micCosmModel,
];

export function findModel(name: string): ModelDefinition | undefined {
  return models.find((model) => model.name === name);
}
