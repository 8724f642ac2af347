/**
 * Git smart HTTP routes: /<repo>.git/info/refs, /git-upload-pack, /git-receive-pack.
 * Request bodies are cut at server.limits; errors after authentication are
 * answered in git's own framing (see git-errors.ts), so `git` prints them.
 */
import type { RequestContext } from '../context.js';
import { badRequest, HttpError } from '../http-error.js';
import type { BodyGuard, BodyLimit } from '../http-util.js';
import { formatBytes, LIMIT_SETTINGS, limitMessage } from '../limits.js';
import { advertisement, type Service } from './advertise.js';
import { answerInGit } from './git-errors.js';
import { advertisementV2, uploadPackV2, wantsV2 } from './protocol-v2.js';
import { handleReceivePack, type PushResult } from './receive-pack.js';
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

/** A fetch request: wants, haves and options, never a pack. */
function fetchBodyLimit(ctx: RequestContext): BodyLimit {
  const max = ctx.state.limits.maxRequestBody;
  return { bytes: max, message: limitMessage('fetch request', 'maxRequestBody', max) };
}

/** A push request: its commands (counted against max_request_body) and its pack (max_pack_size). */
function pushBodyLimit(ctx: RequestContext): BodyLimit {
  const { maxPackSize, maxRequestBody } = ctx.state.limits;
  return {
    bytes: maxPackSize + maxRequestBody,
    message:
      `push is over the server's limit of ${formatBytes(maxPackSize)} for its pack (${LIMIT_SETTINGS.maxPackSize})` +
      ` plus ${formatBytes(maxRequestBody)} for its commands (${LIMIT_SETTINGS.maxRequestBody})`,
  };
}

export async function uploadPackRoute(ctx: RequestContext): Promise<void> {
  const { repo } = await ctx.repository(ctx.params[0], 'read', true);
  checkContentType(ctx, 'git-upload-pack');
  const metrics = ctx.state.metrics;
  let body: BodyGuard | undefined;
  try {
    body = ctx.body(fetchBodyLimit(ctx));
    const v2 = wantsV2(ctx.req.headers['git-protocol']);
    const sent = await (v2 ? uploadPackV2 : uploadPack)(ctx.store, repo, body, ctx.res, metrics, ctx.state.limits);
    metrics.gitOperations.inc({ service: 'upload-pack', result: sent ? 'pack' : 'negotiation' });
  } catch (err) {
    metrics.gitOperations.inc({ service: 'upload-pack', result: 'error' });
    answerInGit(ctx.res, 'git-upload-pack', err, body?.head);
    throw err;
  }
}

export async function receivePackRoute(ctx: RequestContext): Promise<void> {
  const { repo, level } = await ctx.repository(ctx.params[0], 'write', true);
  checkContentType(ctx, 'git-receive-pack');
  const metrics = ctx.state.metrics;
  let body: BodyGuard | undefined;
  let result: PushResult;
  try {
    body = ctx.body(pushBodyLimit(ctx));
    result = await handleReceivePack(ctx.store, repo, body, ctx.res, {
      level,
      denyNonFastForwards: repo.metadata.denyNonFastForwards === true,
      limits: ctx.state.limits,
      tmpDir: ctx.state.tmpDir,
    });
  } catch (err) {
    metrics.gitOperations.inc({ service: 'receive-pack', result: 'error' });
    answerInGit(ctx.res, 'git-receive-pack', err, body?.head);
    throw err;
  }
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
