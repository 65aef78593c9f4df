#!/usr/bin/env node
import { KubeConfig } from '@kubernetes/client-node';
import { CommanderError } from 'commander';
import { parseConfig } from './config/config.js';
import { createLogger, describeError } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { Operator } from './operator.js';
import { KubeApi } from './runtime/kube-api.js';

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      if (error.code !== 'commander.helpDisplayed' && error.code !== 'commander.version') {
        process.stderr.write(`${error.message}\n`);
      }
      return;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);

  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromDefault();
  const api = await KubeApi.create(kc);

  let exiting = false;
  const operator = new Operator(config, api, logger, new Metrics(), (reason) => {
    logger.error('stopping', { reason });
    process.exit(1);
  });
  const shutdown = (signal: string): void => {
    if (exiting) return;
    exiting = true;
    logger.info('shutting down', { signal });
    operator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: describeError(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => {
    shutdown('SIGTERM');
  });
  process.on('SIGINT', () => {
    shutdown('SIGINT');
  });

  logger.info('starting', {
    namespace: config.namespace,
    leaderElection: config.leaderElection.enabled,
    allowedClusterRoles: [...config.allowedClusterRoles],
  });
  await operator.start();
}

main().catch((error: unknown) => {
  process.stderr.write(`agent-identity-operator: ${describeError(error)}\n`);
  process.exit(1);
});
