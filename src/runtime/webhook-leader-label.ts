import { describeError, type Logger } from '../observability/logger.js';
import type { KubeApi } from './kube-api.js';

/**
 * The label the leader puts on its own pod. The webhook Service selects it: only the leader
 * holds the behaviour state (windows, baselines, quarantines), so the API server's webhook
 * calls must reach it and no standby.
 */
export const WEBHOOK_LEADER_LABEL = 'agentidentity.io/webhook-leader';

/**
 * Sets (`leading`) or removes the label on this replica's pod. A replica removes it at start,
 * since a restarted container keeps its pod's labels; a failure is logged, not fatal: the
 * webhook then fails closed for agents, which is the intended behaviour when no leader
 * answers.
 */
export async function markWebhookLeader(
  api: KubeApi,
  logger: Logger,
  pod: { namespace: string; name: string },
  leading: boolean,
): Promise<void> {
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}`;
  try {
    await api.mergePatch(path, {
      metadata: { labels: { [WEBHOOK_LEADER_LABEL]: leading ? 'true' : null } },
    });
    logger.info(
      leading ? 'labelled this pod as the webhook leader' : 'cleared the webhook leader label',
      {
        pod: pod.name,
      },
    );
  } catch (error) {
    logger.warn('could not update the webhook leader label on this pod', {
      pod: pod.name,
      error: describeError(error),
    });
  }
}
