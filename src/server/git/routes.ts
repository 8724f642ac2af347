/** Git smart HTTP routes: /<repo>.git/info/refs, /git-upload-pack, /git-receive-pack. */
import type { RequestContext } from '../context.js';
import { badRequest, HttpError } from '../http-error.js';
import { bodyStream } from '../http-util.js';
import { advertisement, type Service } from './advertise.js';
import { advertisementV2, uploadPackV2, wantsV2 } from './protocol-v2.js';
import { handleReceivePack } from './receive-pack.js';
import { readRefs } from './refs.js';
import { uploadPack } from './upload-pack.js';

function checkContentType(ctx: RequestContext, service: Service): void {
  const type = ctx.req.headers['content-type'];
  if (type !== `application/x-${service}-request`) throw new HttpError(415, `expected content-type application/x-${service}-request`);
}

export async function infoRefs(ctx: RequestContext): Promise<void> {
  const service = ctx.url.searchParams.get('service');
  if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
    throw badRequest('only smart HTTP is served: ask for info/refs?service=git-upload-pack or git-receive-pack (git 1.6.6 or newer)');
  }
  const { repo } = await ctx.repository(ctx.params[0], service === 'git-receive-pack' ? 'write' : 'read', true);
  let body: Buffer;
  if (service === 'git-upload-pack' && wantsV2(ctx.req.headers['git-protocol'])) {
    body = advertisementV2(ctx.store.objectFormat);
  } else {
    const refs = await readRefs(ctx.store, repo, service === 'git-upload-pack');
    body = advertisement(service, refs, ctx.store.objectFormat);
  }
  ctx.res.writeHead(200, {
    'content-type': `application/x-${service}-advertisement`,
    'cache-control': 'no-cache, max-age=0, must-revalidate',
    'content-length': body.length,
  });
  ctx.res.end(body);
}

export async function uploadPackRoute(ctx: RequestContext): Promise<void> {
  const { repo } = await ctx.repository(ctx.params[0], 'read', true);
  checkContentType(ctx, 'git-upload-pack');
  const metrics = ctx.state.metrics;
  try {
    const v2 = wantsV2(ctx.req.headers['git-protocol']);
    const sent = await (v2 ? uploadPackV2 : uploadPack)(ctx.store, repo, bodyStream(ctx.req), ctx.res, metrics);
    metrics.gitOperations.inc({ service: 'upload-pack', result: sent ? 'pack' : 'negotiation' });
  } catch (err) {
    metrics.gitOperations.inc({ service: 'upload-pack', result: 'error' });
    throw err;
  }
}

export async function receivePackRoute(ctx: RequestContext): Promise<void> {
  const { repo, level } = await ctx.repository(ctx.params[0], 'write', true);
  checkContentType(ctx, 'git-receive-pack');
  const metrics = ctx.state.metrics;
  const result = await handleReceivePack(ctx.store, repo, bodyStream(ctx.req), ctx.res, {
    level,
    denyNonFastForwards: repo.metadata.denyNonFastForwards === true,
  });
  const failed = result.unpackError !== undefined || result.commands.some((c) => c.error);
  metrics.gitOperations.inc({ service: 'receive-pack', result: failed ? 'refused' : 'ok' });
  metrics.packObjects.inc({ direction: 'received' }, result.objects);
  metrics.packBytes.inc({ direction: 'received' }, result.packBytes);
  for (const c of result.commands) metrics.refUpdates.inc({ result: c.error ? 'refused' : 'ok' });
  await ctx.audit('git.push', repo.name, repo.id, {
    atomic: result.atomic,
    objects: result.objects,
    ...(result.unpackError ? { unpackError: result.unpackError } : {}),
    refs: result.commands.map((c) => ({ ref: c.ref, old: c.old, new: c.new, result: c.error ?? 'ok' })),
  });
}
