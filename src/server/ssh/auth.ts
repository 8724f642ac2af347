/**
 * Who is connecting: the user whose registered public key the client proves
 * it holds. The login name is not checked (use git@host, as with other
 * forges); the key decides. There is no anonymous SSH: anonymous reads go
 * over HTTP.
 *
 * An SSH server cannot print anything on a failed key, so when every key the
 * client offered is unknown, the last method we allow is keyboard-interactive
 * with no prompt: OpenSSH prints its instruction text on stderr (then
 * "Permission denied"), which tells the user which keys were tried and how to
 * register one. A client in BatchMode skips it and only says "Permission denied".
 */
import ssh2 from 'ssh2';
import type { AuthContext } from 'ssh2';
import type { DataStore } from '../../datastore/store.js';
import type { User } from '../../datastore/types.js';
import { fingerprintOf } from './fingerprint.js';
import { ownerOf, type StoredKey } from './key-store.js';

export interface SshIdentity {
  user: User;
  key: StoredKey;
}

/** What one connection's authentication has learnt. */
export class SshAuthenticator {
  identity: SshIdentity | undefined;
  private readonly offered: string[] = [];

  constructor(
    private readonly store: DataStore,
    private readonly apiUrl: string,
    private readonly log: (line: string) => void,
  ) {}

  handle(ctx: AuthContext): void {
    this.decide(ctx).catch((err) => {
      this.log(`govc: ssh authentication failed: ${(err as Error).message}`);
      ctx.reject(['publickey']);
    });
  }

  private async decide(ctx: AuthContext): Promise<void> {
    if (ctx.method === 'publickey') {
      const found = await ownerOf(this.store, ctx.key.data);
      if (!found) {
        const fingerprint = fingerprintOf(ctx.key.data);
        if (!this.offered.includes(fingerprint)) this.offered.push(fingerprint);
        return ctx.reject(['publickey', 'keyboard-interactive']);
      }
      // Without a signature the client only asks whether we would take this key.
      if (!ctx.signature) return ctx.accept();
      const parsed = ssh2.utils.parseKey(found.key.key);
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (key instanceof Error || !ctx.blob || key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
      this.identity = found;
      return ctx.accept();
    }
    if (ctx.method === 'keyboard-interactive') {
      return ctx.prompt([], '', this.unknownKeyNotice(), () => ctx.reject(['publickey']));
    }
    ctx.reject(['publickey', 'keyboard-interactive']);
  }

  private unknownKeyNotice(): string {
    const tried = this.offered.length
      ? `none of the SSH keys you offered (${this.offered.join(', ')}) is registered with this server.`
      : 'your SSH client offered no public key.';
    return (
      `govc: ${tried}\n` +
      `Register your public key (the .pub file) with: curl -H "Authorization: Bearer <token>" ` +
      `-d '{"key": "<contents of ~/.ssh/id_ed25519.pub>"}' ${this.apiUrl}/api/v1/users/<username>/ssh-keys`
    );
  }
}
