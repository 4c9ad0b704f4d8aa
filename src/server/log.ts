/**
 * The process logger: pino, structured key/value lines on stderr (stdout carries only the
 * kubeconfig path and the ready line, so scripts can read them).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** A pino logger at `level` (trace|debug|info|warn|error) writing JSON lines to stderr. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination(2));
}
