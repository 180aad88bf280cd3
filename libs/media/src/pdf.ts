import { Worker } from 'node:worker_threads';

/**
 * PDF work with MuPDF (the `mupdf` npm package: WebAssembly, no native build). It runs in a worker
 * thread of its own: MuPDF is synchronous and a large page would otherwise stall the event loop,
 * and `mupdf` is an ES module with top-level await that a CommonJS app can only load with a real
 * `import()` — which a worker thread gives us, in the built app and under Jest alike.
 */

export interface PdfInfo {
  pages: number;
  encrypted: boolean;
}

export interface RenderedPage {
  png: Buffer;
  width: number;
  height: number;
}

export class PdfError extends Error {
  constructor(
    readonly code: 'invalid_pdf' | 'engine_error' | 'timeout',
    message: string,
  ) {
    super(message);
    this.name = 'PdfError';
  }
}

// Plain CommonJS, evaluated as the worker's script. MuPDF's own stderr (repair warnings) is
// captured instead of printed.
const WORKER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
globalThis.$libmupdf_wasm_Module = { print() {}, printErr() {} };
const loading = import(pathToFileURL(workerData.mupdfPath).href);
const docs = new Map();
function open(mupdf, key, bytes) {
  if (key && docs.has(key)) return docs.get(key);
  const doc = mupdf.Document.openDocument(bytes, 'application/pdf');
  if (key) {
    docs.set(key, doc);
    if (docs.size > 2) {
      const [oldKey, old] = docs.entries().next().value;
      docs.delete(oldKey);
      old.destroy();
    }
  }
  return doc;
}
parentPort.on('message', async (req) => {
  let mupdf;
  try {
    mupdf = await loading;
  } catch (e) {
    parentPort.postMessage({ id: req.id, code: 'engine_error', error: 'mupdf could not be loaded: ' + (e && e.message) });
    return;
  }
  try {
    if (req.op === 'probe') {
      const doc = mupdf.Document.openDocument(req.bytes, 'application/pdf');
      try {
        const encrypted = doc.needsPassword();
        const pages = encrypted ? 0 : doc.countPages();
        // A file MuPDF could only half repair fails here rather than page by page later.
        if (pages > 0) doc.loadPage(0).destroy();
        parentPort.postMessage({ id: req.id, result: { pages, encrypted } });
      } finally {
        doc.destroy();
      }
    } else if (req.op === 'render') {
      const doc = open(mupdf, req.key, req.bytes);
      const count = doc.countPages();
      if (req.page < 1 || req.page > count) throw new Error('page ' + req.page + ' out of range 1-' + count);
      const page = doc.loadPage(req.page - 1);
      try {
        const [x0, y0, x1, y1] = page.getBounds();
        const longest = Math.max(x1 - x0, y1 - y0, 1);
        const scale = Math.min(req.dpi / 72, req.maxSide / longest);
        const pix = page.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceRGB, false, true);
        try {
          const png = pix.asPNG();
          parentPort.postMessage({ id: req.id, result: { png: png.slice(), width: pix.getWidth(), height: pix.getHeight() } });
        } finally {
          pix.destroy();
        }
      } finally {
        page.destroy();
      }
    }
  } catch (e) {
    parentPort.postMessage({ id: req.id, code: 'invalid_pdf', error: String((e && e.message) || e) });
  }
});
`;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

export class PdfEngine {
  private worker?: Worker;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly timeoutMs = 30_000) {}

  /** Page count and whether the file needs a password; PdfError `invalid_pdf` when MuPDF cannot read it. */
  probe(bytes: Buffer): Promise<PdfInfo> {
    return this.call<PdfInfo>({ op: 'probe', bytes });
  }

  /**
   * Renders page `page` (1-based) to PNG at `dpi`, scaled down so the longest side stays within
   * `maxSide` pixels. `key` (e.g. the blob id) lets consecutive pages reuse the parsed document.
   */
  async render(bytes: Buffer, opts: { key: string; page: number; dpi: number; maxSide: number }): Promise<RenderedPage> {
    const out = await this.call<{ png: Uint8Array; width: number; height: number }>({ op: 'render', bytes, ...opts });
    return { png: Buffer.from(out.png.buffer, out.png.byteOffset, out.png.byteLength), width: out.width, height: out.height };
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.failAll(new PdfError('engine_error', 'PDF engine closed'));
    await w?.terminate();
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SCRIPT, { eval: true, workerData: { mupdfPath: require.resolve('mupdf') } });
    worker.unref();
    worker.on('message', (msg: { id: number; result?: unknown; code?: PdfError['code']; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error !== undefined) p.reject(new PdfError(msg.code ?? 'invalid_pdf', msg.error));
      else p.resolve(msg.result);
    });
    worker.on('error', (err) => this.restart(new PdfError('engine_error', `PDF engine crashed: ${err.message}`)));
    worker.on('exit', () => {
      if (this.worker === worker) this.restart(new PdfError('engine_error', 'PDF engine exited'));
    });
    return worker;
  }

  private call<T>(req: Record<string, unknown>): Promise<T> {
    this.worker ??= this.spawn();
    const worker = this.worker;
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      // A file that keeps MuPDF busy too long costs the thread: it is replaced, never waited on.
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new PdfError('timeout', `PDF processing took longer than ${this.timeoutMs} ms`));
        if (this.worker === worker) this.restart(new PdfError('engine_error', 'PDF engine restarted after a timeout'));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      worker.postMessage({ id, ...req });
    });
  }

  private restart(reason: PdfError): void {
    const w = this.worker;
    this.worker = undefined;
    this.failAll(reason);
    void w?.terminate();
  }

  private failAll(reason: PdfError): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(reason);
      this.pending.delete(id);
    }
  }
}
