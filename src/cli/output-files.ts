/**
 * Writing the files a user asked for (suites, reports) so that a failure never leaves a
 * half-written one behind: write a temporary file beside the target, then rename it over.
 * A path the user got wrong (no such directory, not writable) is a UsageError: one line.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../model/config.ts';

export function writeFileAtomic(path: string, contents: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, contents);
    renameSync(temporary, path);
  } catch (error) {
    removeQuietly(temporary);
    throw asUsageError(error, path);
  }
}

/** Cleanup after a failed write: the temporary file may not exist, or its directory may not. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // nothing was written there
  }
}

export function makeDirectory(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw asUsageError(error, path);
  }
}

/** `cannot write DIR/x.json: no such file or directory` for the errors a wrong path causes. */
export function asUsageError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = {
    ENOENT: `no such directory ${dirname(path)}`,
    ENOTDIR: 'a part of the path is not a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'it is a directory',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
  };
  if (code && reasons[code]) return new UsageError(`cannot write ${path}: ${reasons[code]}`);
  return error instanceof Error ? error : new Error(String(error));
}
