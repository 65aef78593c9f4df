/**
 * The HTTP API paths of one KV v2 secret. KV v2 puts `data/`, `metadata/`, `destroy/` and
 * `delete/` between the mount and the secret's path; this is the only place that does it,
 * so no caller doubles or forgets a segment.
 */
export class KvPaths {
  private readonly mount: string;
  private readonly path: string;

  constructor(mount: string, path: string) {
    this.mount = mount.replace(/^\/+|\/+$/g, '');
    this.path = path.replace(/^\/+|\/+$/g, '');
    if (/^(data|metadata|destroy|delete|undelete)\//.test(this.path)) {
      throw new Error(
        `KV path "${path}" must not start with an API segment; give it relative to the mount`,
      );
    }
  }

  get data(): string {
    return `${this.mount}/data/${this.path}`;
  }

  get metadata(): string {
    return `${this.mount}/metadata/${this.path}`;
  }

  get destroy(): string {
    return `${this.mount}/destroy/${this.path}`;
  }

  get delete(): string {
    return `${this.mount}/delete/${this.path}`;
  }

  /** The ACL-policy path that grants reading this secret's data (all versions). */
  get dataPolicyPath(): string {
    return this.data;
  }
}
