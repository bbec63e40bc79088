/**
 * Every protocol model the engine knows. The engine and the CLI work only from this list; a
 * new protocol is one import and one entry here.
 */
import type { ModelDefinition } from '../src/model.ts';
import { idpfXnModel } from './idpf-xn.ts';
import { mcdiModel } from './mcdi.ts';
import { micCosmModel } from './mic-cosm.ts';
import { pciDoeModel } from './pci-doe.ts';
import { scmiVirtioModel } from './scmi-virtio.ts';

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
