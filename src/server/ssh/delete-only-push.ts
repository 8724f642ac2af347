/**
 * Adapter for a gap in the protocol engine: a push whose every command is a
 * delete sends no pack, and over SSH the client then waits for the report
 * without closing its side, while the engine reads on to the end of input
 * (right over HTTP, where the body ends). This ends the engine's input after
 * the command list (and the push-options section, when asked for) of such a
 * push, which is all the client sends. Everything passes through unchanged.
 * Once the engine stops reading after a delete-only command list on stateful
 * transports, this file goes.
 */
const ZERO = /^0+$/;

export async function* endAfterDeleteOnlyCommands(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let section: 'commands' | 'options' | 'done' = 'commands';
  let commands = 0;
  let updates = 0;
  let pushOptions = false;
  for await (const chunk of input) {
    if (section === 'done') {
      yield chunk;
      continue;
    }
    const start = pending.length;
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    while (section !== 'done' && pending.length - at >= 4) {
      const length = parseInt(pending.subarray(at, at + 4).toString('latin1'), 16);
      if (!Number.isInteger(length) || (length > 0 && length < 4)) {
        section = 'done'; // not pkt-lines: the engine says what is wrong
        break;
      }
      if (length === 0) {
        at += 4;
        const deletesOnly = commands > 0 && updates === 0;
        if (section === 'commands' && deletesOnly && pushOptions) section = 'options';
        else if (deletesOnly) {
          yield chunk.subarray(0, at - start);
          return;
        } else section = 'done';
        continue;
      }
      if (pending.length - at < length) break;
      if (section === 'commands') {
        const line = pending.subarray(at + 4, at + length);
        const nul = line.indexOf(0);
        const [, newId = ''] = line.subarray(0, nul < 0 ? line.length : nul).toString('latin1').split(' ');
        if (!line.subarray(0, 8).equals(Buffer.from('shallow '))) {
          commands++;
          if (!ZERO.test(newId)) updates++;
          if (nul >= 0 && /(^| )push-options( |\n|$)/.test(line.subarray(nul + 1).toString('latin1'))) pushOptions = true;
        }
      }
      at += length;
    }
    pending = pending.subarray(at);
    yield chunk;
  }
}
