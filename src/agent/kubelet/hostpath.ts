/**
 * hostPath volume type checks, after upstream pkg/volume/hostpath/host_path.go (checkType as of
 * Kubernetes 1.32, fileTypeChecker), run by the volume's SetUp before any container starts.
 *
 * - `""` (unset): no check;
 * - `DirectoryOrCreate`: creates the directory (and parents) with mode 0755, owned by the kubelet's
 *   user, when nothing exists there; then it must be a directory;
 * - `Directory`: must be a directory;
 * - `FileOrCreate`: creates an empty file with mode 0644 when nothing exists (the parent directory
 *   must exist, as upstream's `os.OpenFile(O_CREATE)`); then it must be a file;
 * - `File`: must exist and not be a directory (upstream's IsFile is "exists && !IsDir");
 * - `Socket` / `CharDevice` / `BlockDevice`: must be a unix socket / character / block device.
 * Paths are followed through symlinks (stat), as upstream's GetFileType.
 */
import { open, mkdir, stat } from 'node:fs/promises';

/** A failed hostPath check; `message` is upstream's error text (`hostPath type check failed: /x is not a directory`). */
export class HostPathTypeError extends Error {}

const what: Record<string, string> = {
  Directory: 'directory',
  File: 'file',
  Socket: 'socket file',
  CharDevice: 'character device',
  BlockDevice: 'block device',
};

/**
 * checkType: verifies (and for the `…OrCreate` types creates) `p` as hostPath type `type`.
 * @throws HostPathTypeError with upstream's message on a mismatch or an invalid type
 * @throws HostPathTypeError with a Go-style `open <p>: no such file or directory` when a FileOrCreate parent is missing
 */
export async function checkHostPathType(p: string, type: string | undefined): Promise<void> {
  if (!type) return;
  const exists = async () => (await stat(p).catch(() => undefined)) !== undefined;
  let want = type;
  switch (type) {
    case 'DirectoryOrCreate':
      if (!(await exists())) {
        await mkdir(p, { recursive: true, mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw new HostPathTypeError(goPathError('mkdir', p, e));
        });
        return;
      }
      want = 'Directory';
      break;
    case 'FileOrCreate':
      if (!(await exists())) {
        const fh = await open(p, 'a', 0o644).catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'EEXIST') return undefined;
          throw new HostPathTypeError(goPathError('open', p, e));
        });
        await fh?.close();
        return;
      }
      want = 'File';
      break;
    case 'Directory':
    case 'File':
    case 'Socket':
    case 'CharDevice':
    case 'BlockDevice':
      break;
    default:
      throw new HostPathTypeError(`${type} is an invalid volume type`);
  }
  const st = await stat(p).catch(() => undefined);
  const ok =
    !!st &&
    (want === 'Directory'
      ? st.isDirectory()
      : want === 'File'
        ? !st.isDirectory()
        : want === 'Socket'
          ? st.isSocket()
          : want === 'CharDevice'
            ? st.isCharacterDevice()
            : st.isBlockDevice());
  if (!ok) throw new HostPathTypeError(`hostPath type check failed: ${p} is not a ${what[want]}`);
}

/** Go's *PathError text: `<op> <path>: <strerror>`. */
function goPathError(op: string, p: string, e: NodeJS.ErrnoException): string {
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    ENOTDIR: 'not a directory',
    EACCES: 'permission denied',
    EROFS: 'read-only file system',
    EISDIR: 'is a directory',
  };
  return `${op} ${p}: ${text[e.code ?? ''] ?? e.message}`;
}
