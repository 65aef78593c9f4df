import { strict as assert } from 'node:assert';
import { parseConfig, parseDuration } from '../../../src/config/config.js';

describe('operator configuration', function () {
  it('applies defaults', function () {
    const config = parseConfig([], {});
    assert.equal(config.leaderElection.enabled, true);
    assert.equal(config.workers, 8);
    assert.deepEqual([...config.allowedClusterRoles], []);
    assert.deepEqual(config.http, { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(config.dns.podLabels, { 'k8s-app': 'kube-dns' });
  });

  it('reads flags and environment variables', function () {
    const config = parseConfig(
      ['--allowed-cluster-roles', 'view, edit', '--http-address', '127.0.0.1:0'],
      {
        AIO_WORKERS: '3',
        POD_NAMESPACE: 'ops',
      },
    );
    assert.deepEqual([...config.allowedClusterRoles], ['view', 'edit']);
    assert.deepEqual(config.http, { host: '127.0.0.1', port: 0 });
    assert.equal(config.workers, 3);
    assert.equal(config.namespace, 'ops');
  });

  const bad: [string, string[], RegExp][] = [
    ['a duration without a unit', ['--resync', '10'], /not a duration/],
    ['zero workers', ['--workers', '0'], /not a whole number from 1 to 1000/],
    ['a resync of zero', ['--resync', '0s'], /shorter than the minimum of 1s/],
    ['an empty DNS pod selector', ['--dns-pod-labels', ''], /at least one key=value label/],
    ['a malformed DNS label', ['--dns-pod-labels', 'a=b=c'], /is not key=value/],
    [
      'an AWS write rate above the service limit',
      ['--aws-region', 'x', '--aws-writes-per-second', '60'],
      /at most 50/,
    ],
    ['Vault without credentials', ['--vault-address', 'http://127.0.0.1:1'], /needs --vault-token/],
    ['an address without a port', ['--http-address', 'localhost'], /not host:port/],
    [
      'a renew deadline longer than the lease',
      ['--lease-duration', '5s', '--renew-deadline', '6s'],
      /shorter than --lease-duration/,
    ],
    ['an unknown log level', ['--log-level', 'loud'], /Allowed choices/],
  ];
  for (const [what, argv, message] of bad) {
    it(`refuses ${what} with a message naming the problem`, function () {
      assert.throws(() => parseConfig(argv, {}), message);
    });
  }

  it('parses durations', function () {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('2h'), 7_200_000);
  });
});
