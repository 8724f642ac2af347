/**
 * The ref advertisement of protocol v0/v1 (what info/refs answers over HTTP,
 * and what SSH sends first), and protocol v2's capability advertisement.
 */
import { zeroId } from '../../datastore/hash.js';
import type { ObjectFormat } from '../../datastore/types.js';
import { FLUSH, pkt } from './pkt-line.js';
import type { RepoRefs } from './refs.js';

export type Service = 'git-upload-pack' | 'git-receive-pack';

export const AGENT = 'agent=govc/0.1.0';

export function capabilities(service: Service, refs: RepoRefs, format: ObjectFormat): string {
  const common = [`object-format=${format}`, AGENT];
  if (service === 'git-receive-pack') {
    return ['report-status', 'report-status-v2', 'delete-refs', 'side-band-64k', 'quiet', 'atomic', 'ofs-delta', 'push-options', ...common].join(' ');
  }
  const caps = [
    'multi_ack',
    'thin-pack',
    'side-band',
    'side-band-64k',
    'ofs-delta',
    'shallow',
    'deepen-since',
    'deepen-not',
    'deepen-relative',
    'no-progress',
    'include-tag',
    'multi_ack_detailed',
    'allow-tip-sha1-in-want',
    'allow-reachable-sha1-in-want',
    'filter',
  ];
  if (refs.headTarget && refs.headId) caps.push(`symref=HEAD:${refs.headTarget}`);
  return [...caps, ...common].join(' ');
}

/** The advertisement; over HTTP with the `# service=` preamble smart HTTP wants. */
export function refAdvertisement(service: Service, refs: RepoRefs, format: ObjectFormat, options: { http: boolean }): Buffer {
  const caps = capabilities(service, refs, format);
  const zero = zeroId(format);
  const lines: Array<[string, string]> = [];
  if (service === 'git-upload-pack' && refs.headId) lines.push([refs.headId, 'HEAD']);
  for (const r of refs.refs) {
    lines.push([r.id, r.name]);
    if (service === 'git-upload-pack' && r.peeled) lines.push([r.peeled, `${r.name}^{}`]);
  }
  const parts = options.http ? [pkt(`# service=${service}\n`), FLUSH] : [];
  if (lines.length === 0) parts.push(pkt(`${zero} capabilities^{}\0${caps}\n`));
  lines.forEach(([id, name], i) => parts.push(pkt(i === 0 ? `${id} ${name}\0${caps}\n` : `${id} ${name}\n`)));
  parts.push(FLUSH);
  return Buffer.concat(parts);
}

export function capabilitiesV2(format: ObjectFormat): Buffer {
  return Buffer.concat([
    pkt('version 2\n'),
    pkt(`${AGENT}\n`),
    pkt('ls-refs=unborn\n'),
    pkt('fetch=shallow filter\n'),
    pkt(`object-format=${format}\n`),
    FLUSH,
  ]);
}
