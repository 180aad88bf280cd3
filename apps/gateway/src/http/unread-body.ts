import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * Answers refused uploads properly. An upload refused mid-stream (a 10 MB line, a file past its
 * limit) is answered while the client is still sending: left unread, the rest of the body fills
 * the TCP window, the client's write stalls until the keep-alive timeout and it sees a reset
 * instead of the answer. So before such an answer goes out, the rest of the body is read and
 * discarded, up to `maxBytes`; past that the answer closes the connection.
 */
export function registerUnreadBodyDrain(fastify: FastifyInstance, maxBytes: number): void {
  // Callback style: nearly every response has its body read already, and then costs no promise.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const req = request.raw;
    if (req.complete || req.destroyed) return done(null, payload);
    void discard(req, maxBytes).then((drained) => {
      if (!drained) void reply.header('connection', 'close');
      done(null, payload);
    });
  });
}

/** Reads and drops what is left of `req`; false when more than `maxBytes` remained. */
function discard(req: IncomingMessage, maxBytes: number): Promise<boolean> {
  // Whoever was reading the body (busboy, the JSONL intake) gave up: nothing else takes the bytes.
  req.unpipe();
  return new Promise((resolve) => {
    let bytes = 0;
    const done = (ok: boolean) => {
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      if (!ok) req.pause();
      resolve(ok);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) done(false);
    };
    const onEnd = () => done(true);
    const onClose = () => done(req.complete);
    req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose);
    req.resume();
  });
}
