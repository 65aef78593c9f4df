import { strict as assert } from 'node:assert';
import {
  awsSecretName,
  vaultCredentialPath,
  vaultObjectName,
} from '../../../src/providers/naming.js';
import { renderAclPolicy } from '../../../src/providers/vault/acl-policy.js';
import { KvPaths } from '../../../src/providers/vault/kv-paths.js';
import { sanitize } from '../../../src/providers/sanitize.js';
import { parseGoDuration } from '../../../src/api/duration.js';

describe('store naming', function () {
  it('maps an agent credential to a Vault path and an AWS name, one to one', function () {
    const agent = { namespace: 'team-a', name: 'bot.v2' };
    assert.equal(vaultCredentialPath('agents', agent, 'key'), 'agents/team-a/bot.v2/key');
    assert.equal(awsSecretName('agentidentity', agent, 'key'), 'agentidentity/team-a/bot.v2/key');
    assert.equal(vaultObjectName(agent), 'agent.team-a.bot.v2');
  });

  it('keeps the longest names Kubernetes allows inside the AWS limit', function () {
    const name = awsSecretName(
      'agentidentity',
      { namespace: 'n'.repeat(63), name: 'a'.repeat(253) },
      'c'.repeat(63),
    );
    assert.ok(name.length <= 512);
    assert.match(name, /^[A-Za-z0-9/_+=.@-]+$/);
  });
});

describe('KV v2 paths', function () {
  it('puts data/, metadata/ and destroy/ after the mount, once', function () {
    const paths = new KvPaths('secret/', '/agents/ns/bot/key');
    assert.equal(paths.data, 'secret/data/agents/ns/bot/key');
    assert.equal(paths.metadata, 'secret/metadata/agents/ns/bot/key');
    assert.equal(paths.destroy, 'secret/destroy/agents/ns/bot/key');
  });

  it('refuses a path that already carries an API segment', function () {
    assert.throws(
      () => new KvPaths('secret', 'data/agents/x'),
      /must not start with an API segment/,
    );
  });
});

describe('Vault ACL policy', function () {
  it('grants read on the agent credentials plus exactly the declared paths, merged', function () {
    const policy = renderAclPolicy('secret/data/agents/ns/bot', [
      { path: 'secret/data/shared/*', capabilities: ['read'] },
      { path: 'secret/data/shared/*', capabilities: ['list'] },
      { path: 'secret/data/forbidden', capabilities: ['read', 'deny'] },
    ]);
    assert.match(
      policy,
      /path "secret\/data\/agents\/ns\/bot\/\*" \{\n {2}capabilities = \["read"\]\n\}/,
    );
    assert.match(
      policy,
      /path "secret\/data\/shared\/\*" \{\n {2}capabilities = \["read", "list"\]\n\}/,
    );
    assert.match(policy, /path "secret\/data\/forbidden" \{\n {2}capabilities = \["deny"\]\n\}/);
  });
});

describe('sanitising store messages', function () {
  const cases: [string, string, RegExp][] = [
    [
      'a Vault token',
      'permission denied for hvs.CAESIJabcdefghijklmnopqrstuvwxyz0123',
      /\[vault-token\]/,
    ],
    [
      'an AWS access key',
      'The security token AKIAIOSFODNN7EXAMPLE is invalid',
      /\[aws-access-key\]/,
    ],
    [
      'a request signature',
      'X-Amz-Signature=abcdef0123456789&X-Amz-Date=1',
      /X-Amz-Signature=\[redacted\]/,
    ],
    ['a bearer token', 'Authorization: Bearer abc.def.ghi', /\[redacted\]/],
    ['a JSON value', '{"value":"s3cr3t-value"}', /"value":"\[redacted\]"/],
  ];
  for (const [what, input, expected] of cases) {
    it(`removes ${what}`, function () {
      const clean = sanitize(input);
      assert.match(clean, expected);
    });
  }

  it('removes a known secret wherever it appears', function () {
    assert.equal(
      sanitize('oops: generated-secret-1234 leaked', ['generated-secret-1234']),
      'oops: [redacted] leaked',
    );
  });
});

describe('Go durations', function () {
  it('parses compound durations', function () {
    assert.equal(parseGoDuration('1h30m'), 5_400_000);
    assert.equal(parseGoDuration('720h'), 2_592_000_000);
    assert.equal(parseGoDuration('1.5s'), 1500);
  });

  it('refuses days, which Go does not have', function () {
    assert.throws(() => parseGoDuration('30d'), /not a duration/);
  });
});
