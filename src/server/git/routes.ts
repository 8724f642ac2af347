/**
 * Git smart HTTP routes: /<repo>.git/info/refs, /git-upload-pack,
 * /git-receive-pack. Only the HTTP glue lives here: authentication, body
 * limits, headers, metrics and audit; the protocol is src/git/protocol,
 * which answers every refusal in git's framing, so `git` prints it.
 */
import type { Readable } from 'node:stream';
import { errPacket, FLUSH, httpAdvertisement, pkt, protocolVersion, type ProtocolSession, type PushResult, type Service } from '../../git/protocol/index.js';
import type { Repository } from '../../datastore/types.js';
import type { Level } from '../auth/permissions.js';
import type { RequestContext } from '../context.js';
import { badRequest, HttpError, statusOf } from '../http-error.js';
import type { BodyLimit } from '../http-util.js';
import { formatBytes, LIMIT_SETTINGS, limitMessage, protocolLimits } from '../limits.js';
import { pushEventBase, recordPush } from '../push-record.js';
import { ServerBusyError, type EngineSlot } from '../engine-pool/engine.js';

function session(ctx: RequestContext, repo: Repository, level: Level): ProtocolSession {
  return {
    store: ctx.store,
    repo,
    access: level === 'admin' ? 'admin' : level === 'write' ? 'write' : 'read',
    limits: protocolLimits(ctx.state.limits),
    tmpDir: ctx.state.tmpDir,
    packCache: ctx.state.packCache,
    cloneLists: ctx.state.cloneLists,
    describeError: (err) => statusOf(err).message,
    pushEvent: pushEventBase(ctx.user?.id ?? null),
  };
}

function startResult(ctx: RequestContext, service: Service): void {
  ctx.res.writeHead(200, { 'content-type': `application/x-${service}-result`, 'cache-control': 'no-cache' });
}

/** A wrong content-type after authentication: refused in git's framing too. */
function checkContentType(ctx: RequestContext, service: Service): boolean {
  const type = ctx.req.headers['content-type'];
  if (type === `application/x-${service}-request`) return true;
  startResult(ctx, service);
  ctx.res.end(errPacket(`expected content-type application/x-${service}-request, got ${type ?? 'none'}`));
  return false;
}

export async function infoRefs(ctx: RequestContext): Promise<void> {
  const service = ctx.url.searchParams.get('service');
  if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
    throw badRequest('only smart HTTP is served: ask for info/refs?service=git-upload-pack or git-receive-pack (git 1.6.6 or newer)');
  }
  const found = await ctx.repository(ctx.params[0], service === 'git-receive-pack' ? 'write' : 'read', true).catch((err: unknown) => {
    // A signed-in caller without the permission: told inside the advertisement, which every client prints
    // (git: "remote error: ..."; a bare 403 is all dulwich and go-git would show). 401 and 404 stay HTTP.
    if (!(err instanceof HttpError) || err.status !== 403) throw err;
    const body = Buffer.concat([pkt(`# service=${service}\n`), FLUSH, errPacket(err.message)]);
    ctx.res.writeHead(200, { 'content-type': `application/x-${service}-advertisement`, 'cache-control': 'no-cache', 'content-length': body.length });
    ctx.res.end(body);
    return undefined;
  });
  if (!found) return;
  // git starts with info/refs: a full server says so here (503, Retry-After, a message git prints) before a clone begins.
  const busy = ctx.state.engine.busy();
  if (busy) throw busy;
  const { repo, level } = found;
  const body = await httpAdvertisement(session(ctx, repo, level), service, protocolVersion(ctx.req.headers['git-protocol']));
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

/** The request body, or a stream that fails at once with why it cannot be read (answered in git's framing). */
function body(ctx: RequestContext, limit: BodyLimit): { input: AsyncIterable<Buffer>; head: () => Buffer | undefined } {
  try {
    const guard = ctx.body(limit);
    return { input: guard as Readable as AsyncIterable<Buffer>, head: () => guard.head };
  } catch (err) {
    const input = (async function* (): AsyncGenerator<Buffer> {
      throw err;
    })();
    return { input, head: () => undefined };
  }
}

/** A slot in the engine, or undefined once the client has been told the server is busy (in git's framing). */
async function reserve(ctx: RequestContext, service: Service): Promise<EngineSlot | undefined> {
  try {
    return await ctx.state.engine.reserve();
  } catch (err) {
    if (!(err instanceof ServerBusyError)) throw err;
    ctx.state.metrics.gitOperations.inc({ service: service.slice('git-'.length), result: 'busy' });
    startResult(ctx, service);
    ctx.res.end(errPacket(err.message));
    return undefined;
  }
}

export async function uploadPackRoute(ctx: RequestContext): Promise<void> {
  const { repo, level } = await ctx.repository(ctx.params[0], 'read', true);
  if (!checkContentType(ctx, 'git-upload-pack')) return;
  const slot = await reserve(ctx, 'git-upload-pack');
  if (!slot) return;
  const metrics = ctx.state.metrics;
  startResult(ctx, 'git-upload-pack');
  try {
    const { input, head } = body(ctx, fetchBodyLimit(ctx));
    const sent = await slot.uploadPack(session(ctx, repo, level), input, ctx.res, {
      stateless: true,
      head,
      version: protocolVersion(ctx.req.headers['git-protocol']),
    });
    metrics.gitOperations.inc({ service: 'upload-pack', result: sent ? 'pack' : 'negotiation' });
    if (sent) {
      metrics.packBytes.inc({ direction: 'sent' }, sent.bytes);
      metrics.packObjects.inc({ direction: 'sent' }, sent.objects);
    }
  } catch (err) {
    metrics.gitOperations.inc({ service: 'upload-pack', result: 'error' });
    throw err;
  } finally {
    ctx.res.end();
  }
}

export async function receivePackRoute(ctx: RequestContext): Promise<void> {
  const { repo, level } = await ctx.repository(ctx.params[0], 'write', true);
  if (!checkContentType(ctx, 'git-receive-pack')) return;
  const slot = await reserve(ctx, 'git-receive-pack');
  if (!slot) return;
  const metrics = ctx.state.metrics;
  startResult(ctx, 'git-receive-pack');
  const pushSession = session(ctx, repo, level);
  let result: PushResult | undefined;
  try {
    const { input, head } = body(ctx, pushBodyLimit(ctx));
    result = await slot.receivePack(pushSession, input, ctx.res, { stateless: true, head });
  } catch (err) {
    metrics.gitOperations.inc({ service: 'receive-pack', result: 'error' });
    throw err;
  } finally {
    ctx.res.end();
  }
  if (!result) return;
  await recordPush(pushSession, metrics, result);
}
