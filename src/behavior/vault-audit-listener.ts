import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentIndex } from './agent-index.js';
import type { BehaviorEngine } from './engine.js';
import { fromVaultAudit } from './sources.js';

const MAX_LINE = 1024 * 1024;

/**
 * Receives Vault / OpenBao's socket audit device (JSON lines over TCP). The device has no TLS
 * or authentication of its own, so connections are accepted only from the listed source
 * addresses (loopback by default; in a cluster, Vault's pod addresses, with a NetworkPolicy).
 * Vault HMACs secret values in audit entries; the engine keeps only paths and operations.
 */
export async function startVaultAuditListener(
  address: { host: string; port: number },
  allowedSources: ReadonlySet<string>,
  deps: { engine: BehaviorEngine; index: AgentIndex; metrics: Metrics; logger: Logger },
): Promise<{ close: () => Promise<void>; port: number }> {
  const handle = (socket: Socket): void => {
    const remote = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (!allowedSources.has(remote)) {
      deps.logger.warn('refused a Vault audit connection from an address not allowed', { remote });
      socket.destroy();
      return;
    }
    const lines = createInterface({ input: socket, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (line.length > MAX_LINE) return;
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      const observation = fromVaultAudit(entry, deps.index);
      deps.metrics.vaultAuditEntries.inc({ kept: observation ? 'true' : 'false' });
      if (observation) deps.engine.observe(observation);
    });
    socket.on('error', () => undefined);
  };
  // OpenBao keeps its connection open for good: closing the server must end those
  // connections too, or shutdown (and the leader Lease's release) would wait forever.
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    handle(socket);
  });
  const close = async (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => {
        resolve();
      });
      for (const socket of open) socket.destroy();
    });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      resolve();
    });
  });
  const bound = server.address();
  return { close, port: typeof bound === 'object' && bound ? bound.port : address.port };
}
