/**
 * Every driver (system under test) the conformance runner knows, one per protocol. A new
 * driver is one import and one entry here; see src/testgen/conform.ts for the adapter contract.
 */
import type { DriverDefinition } from '../src/testgen/conform.ts';
import { idpfXnDriver } from './idpf-xn.ts';
import { mcdiDriver } from './mcdi.ts';
import { micCosmDriver } from './mic-cosm.ts';
import { pciDoeDriver } from './pci-doe.ts';
import { scmiVirtioDriver } from './scmi-virtio.ts';

export const drivers: DriverDefinition[] = [
  mcdiDriver,
  scmiVirtioDriver,
  pciDoeDriver,
  idpfXnDriver,
  micCosmDriver,
];

export function findDriver(protocol: string): DriverDefinition | undefined {
  return drivers.find((driver) => driver.protocol === protocol);
}
