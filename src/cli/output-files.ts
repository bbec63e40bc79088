/**
 * Writing the files a user asked for (suites, reports) so that a failure never leaves a
 * half-written one behind: write a temporary file beside the target, then rename it over.
 * A path the user got wrong (no such directory, not writable) is a UsageError: one line.
 * Every output path works alike: the file or the report directory itself is created, its
 * parent must exist (as `cp` and `mkdir` without `-p` do).
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * Creates a report directory (or accepts an existing one); its parent must exist. Not
 * `recursive: true`: on a path like /proc/x, Node's recursive mkdir loops forever.
 */
export function makeOutputDirectory(path: string): void {
  try {
    mkdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      if (isDirectory(path)) return;
      throw new UsageError(`cannot write ${path}: it is a file, not a directory`);
    }
    throw asUsageError(error, path);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `cannot write DIR/x.json: no such file or directory` for the errors a wrong path causes. */
export function asUsageError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const parent = dirname(path);
  const reasons: Record<string, string> = {
    ENOENT: existsSync(parent)
      ? `${parent} does not take new files`
      : `no such directory ${parent}`,
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
