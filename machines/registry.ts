/**
 * Every protocol model the engine knows. The engine and the CLI work only from this list; a
 * new protocol is one import and one entry here.
 */
import type { ModelDefinition } from '../src/model.ts';

export const models: ModelDefinition[] = [];

export function findModel(name: string): ModelDefinition | undefined {
  return models.find((model) => model.name === name);
}
