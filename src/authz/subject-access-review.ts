import { parseServiceAccountUser, type ResourceRequest } from '../behavior/observation.js';
import { isObject, str } from '../behavior/untrusted.js';

/** The parts of a SubjectAccessReview (authorization.k8s.io/v1) the webhook reads. */
export interface SubjectAccessReview {
  apiVersion?: string;
  kind?: string;
  spec?: {
    user?: string;
    groups?: string[];
    resourceAttributes?: {
      namespace?: string;
      verb?: string;
      group?: string;
      resource?: string;
      subresource?: string;
      name?: string;
    };
    nonResourceAttributes?: { path?: string; verb?: string };
  };
}

export interface SubjectAccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
}

export type ParsedReview =
  | { kind: 'not-an-agent' }
  | { kind: 'non-resource'; serviceAccount: { namespace: string; name: string } }
  | {
      kind: 'resource';
      serviceAccount: { namespace: string; name: string };
      request: ResourceRequest;
    };

/** Reads who asks for what; anything that is not an agent-shaped ServiceAccount is not ours. */
export function parseReview(review: unknown, agentPrefix: string): ParsedReview {
  // The body is the API server's, but a malformed one must still get an answer, not a 500.
  const spec = isObject(review) && isObject(review.spec) ? review.spec : {};
  const serviceAccount = parseServiceAccountUser(str(spec.user) ?? '');
  if (!serviceAccount?.name.startsWith(agentPrefix)) return { kind: 'not-an-agent' };
  const attributes = spec.resourceAttributes;
  if (!isObject(attributes)) return { kind: 'non-resource', serviceAccount };
  return {
    kind: 'resource',
    serviceAccount,
    request: {
      verb: str(attributes.verb) ?? '',
      group: str(attributes.group) ?? '',
      resource: str(attributes.resource) ?? '',
      subresource: str(attributes.subresource) ?? '',
      namespace: str(attributes.namespace) ?? '',
      name: str(attributes.name) ?? '',
    },
  };
}

/** The webhook's answer: a SubjectAccessReview with only its status filled in. */
export function reviewResponse(status: SubjectAccessReviewStatus): object {
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', status };
}

/** "No opinion": neither allowed nor denied, so the next authorizer (RBAC) decides. */
export const NO_OPINION: SubjectAccessReviewStatus = { allowed: false };
