/** `govc datastore rotate-key`: re-encrypts values stored under older keys with the current one; resumable. */
import type { Command } from 'commander';
import { ConfigError } from '../datastore/errors.js';
import { findEncryptionLayers, PLAINTEXT, rotateLayer, type RotationProgress } from '../datastore/layers/encryption/rotate.js';
import { parseIntegerOption } from './datastore-commands.js';
import { storeOptions, withStore, type StoreFlags } from './store-option.js';

interface RotateCliOptions extends StoreFlags {
  batch: number;
  maxBatches?: number;
  json?: boolean;
}

async function rotateKey(options: RotateCliOptions): Promise<void> {
  await withStore(options, async (store) => {
    const layers = findEncryptionLayers(store.driver);
    if (layers.length === 0) {
      throw new ConfigError('this store has no encryption layer; add encryption: {type: aes-256-gcm, options: {key_file: ...}} (or encryption.type=aes-256-gcm&encryption.key_file=... in a URI)');
    }
    const results: RotationProgress[] = [];
    for (const layer of layers) {
      const report = (p: RotationProgress) => {
        if (!options.json) process.stderr.write(`\rrotate-key ${p.keyId}: ${p.phase}${p.after ? ` after ${p.after.slice(0, 40)}` : ''}, ${p.rewritten} rewritten   `);
      };
      results.push(await rotateLayer(layer, { batch: options.batch, maxBatches: options.maxBatches, onProgress: report }));
      if (!options.json) process.stderr.write('\n');
    }
    if (options.json) process.stdout.write(JSON.stringify(results) + '\n');
    else {
      for (const r of results) process.stdout.write(r.phase === 'done' ? finishedReport(r) : `stopped in ${r.phase} after ${r.rewritten} rewritten; run again to resume\n`);
    }
  });
}

/** What a finished pass leaves under which key, so the operator knows which keys the key file must keep. */
function finishedReport(r: RotationProgress): string {
  const lines = [`every value but audit events is under key ${r.keyId}: ${r.rewritten} rewritten`];
  const left = Object.entries(r.remaining);
  if (left.length === 0) lines.push('no value is left under another key');
  for (const [key, count] of left) {
    lines.push(key === PLAINTEXT ? `${count} audit events stay unencrypted (written before encryption; events are append-only)` : `${count} audit events stay under key ${key} (events are append-only): keep ${key} in the key file while you keep them`);
  }
  if (r.droppable?.length) lines.push(`no value needs key ${r.droppable.join(', ')}: it can be removed from the key file`);
  return lines.join('\n') + '\n';
}

export function registerRotateKeyCommand(datastore: Command): void {
  storeOptions(datastore.command('rotate-key'), 'YAML config whose datastore: block names the store and its encryption layer')
    .description('re-encrypt every value stored under an older key with the current key (the first in the key file); resumes where an interrupted run stopped')
    .addHelpText('after', 'The store names its encryption layer, e.g. --store sqlite://./data/govc.db?encryption.type=aes-256-gcm&encryption.key_file=/etc/govc/keys')
    .option('--batch <n>', 'records per batch (each batch and its progress are written together)', parseIntegerOption('--batch', 10_000), 500)
    .option('--max-batches <n>', 'stop after this many batches (the next run resumes)', parseIntegerOption('--max-batches', Number.MAX_SAFE_INTEGER))
    .option('--json', 'print the final progress of each layer as JSON')
    .action(rotateKey);
}
