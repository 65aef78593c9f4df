import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createAgentWebhookFiles } from '../../scripts/local-env/agent-webhooks.js';

export interface BenchWebhookServer {
  port: number;
  /** An HTTPS agent presenting the API server's client certificate. */
  agent: Agent;
  stop(): void;
}

/**
 * Starts the operator's webhook server in its own process (webhook-server-process.ts, with
 * 10,000 agents) and a client agent that authenticates as the API server does.
 */
export async function startBenchWebhookServer(maxSockets: number): Promise<BenchWebhookServer> {
  const dir = mkdtempSync(join(tmpdir(), 'aio-bench-'));
  await createAgentWebhookFiles(dir, 1);
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'webhook-server-process.ts'), dir, '10000'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = Number(
    await new Promise<string>((resolve) =>
      createInterface({ input: server.stdout }).once('line', resolve),
    ),
  );
  const agent = new Agent({
    keepAlive: true,
    maxSockets,
    cert: readFileSync(join(dir, 'client.crt')),
    key: readFileSync(join(dir, 'client.key')),
    ca: readFileSync(join(dir, 'webhook-ca.crt')),
  });
  return {
    port,
    agent,
    stop: () => {
      server.kill();
      agent.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
