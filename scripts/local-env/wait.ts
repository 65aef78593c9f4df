import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';

export interface ProbeOptions {
  url: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
}

/** One GET: resolves with the status code, or 0 when nothing answered. */
export async function probe(options: ProbeOptions): Promise<number> {
  const url = new URL(options.url);
  const requestOptions: RequestOptions = {
    method: 'GET',
    timeout: 2000,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    rejectUnauthorized: options.insecure !== true,
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = send(url, requestOptions, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve(0);
    });
    req.end();
  });
}

/**
 * Polls until `ready` resolves true, calling `alive` between attempts so a server that
 * crashed fails fast with its own error instead of a timeout.
 */
export async function waitUntil(
  what: string,
  ready: () => Promise<boolean>,
  alive: () => void,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    alive();
    if (await ready()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
