import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RequestDecoder, ReplyDecoder, encodeRequest, encodeOk, encodeError, DEFAULT_LIMITS, ERROR_CODES, InvalidArgumentError, type DecodedItem } from '../src/index.ts';

const LIMITS = { maxLineBytes: 256, maxFrameBytes: 512 };

/** Splits a buffer at the given cut points (any chunking the network might produce). */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

function decodeAll(chunks: Buffer[], limits = LIMITS): DecodedItem[] {
  const d = new RequestDecoder(limits);
  const items: DecodedItem[] = [];
  for (const c of chunks) {
    d.push(c);
    let item;
    while ((item = d.next()) !== null) items.push(item);
  }
  return items;
}

// A text request: no LF, no leading 0xFF, not blank once CR-stripped, not HTTP-looking, within the limit.
const textRequest = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
  .map((s) => 'ECHO ' + s.replace(/[\r\n]/g, ' '))
  .map((s) => ({ framing: 'text' as const, payload: Buffer.from(s, 'utf8') }))
  .filter((r) => r.payload.length <= LIMITS.maxLineBytes);
const binaryRequest = fc
  .uint8Array({ maxLength: 300 })
  .map((bytes) => ({ framing: 'binary' as const, payload: Buffer.from(bytes) }));
const request = fc.oneof(textRequest, binaryRequest);

describe('RequestDecoder', () => {
  it('decodes every valid request exactly once, in order, for any chunking', () => {
    fc.assert(
      fc.property(fc.array(request, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), fc.boolean(), (reqs, cuts, crlf) => {
        const wire = Buffer.concat(reqs.map((r) => {
          const enc = encodeRequest(r.payload, r.framing);
          return crlf && r.framing === 'text' ? Buffer.concat([r.payload, Buffer.from('\r\n')]) : enc;
        }));
        const items = decodeAll(split(wire, cuts));
        assert.equal(items.length, reqs.length);
        items.forEach((item, i) => {
          assert.equal(item.type, 'request');
          if (item.type !== 'request') return;
          assert.equal(item.framing, reqs[i]!.framing);
          assert.deepEqual(item.payload, reqs[i]!.payload);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('decodes byte-at-a-time input the same as one coalesced chunk', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 10 }), (reqs) => {
        const wire = Buffer.concat(reqs.map((r) => encodeRequest(r.payload, r.framing)));
        const bytewise = decodeAll([...wire].map((b) => Buffer.from([b])));
        const whole = decodeAll([wire]);
        assert.deepEqual(bytewise, whole);
        assert.equal(whole.length, reqs.length);
      }),
      { numRuns: 100 },
    );
  });

  it('never throws or hangs on arbitrary bytes; stream errors are coded and final', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        const d = new RequestDecoder(LIMITS);
        let errors = 0;
        let calls = 0;
        for (const c of split(Buffer.from(bytes), cuts)) {
          d.push(c);
          let item;
          while ((item = d.next()) !== null) {
            calls++;
            assert.ok(calls <= bytes.length + 1, 'decoder yields at most one item per byte');
            if (item.type === 'error') {
              errors++;
              assert.ok(ERROR_CODES.includes(item.error.code), item.error.code);
              assert.equal(item.error.fatal, true);
            }
          }
        }
        assert.ok(errors <= 1, 'after a stream error the decoder yields nothing more');
        // Bounded memory: nothing beyond one line or one frame (plus header) is ever held.
        assert.ok(d.buffered <= Math.max(LIMITS.maxLineBytes + 1, LIMITS.maxFrameBytes + 8) + 2000);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects an oversized line once it passes the limit, without waiting for the newline', () => {
    const d = new RequestDecoder(LIMITS);
    d.push(Buffer.alloc(LIMITS.maxLineBytes + 2, 0x41));
    const item = d.next();
    assert.equal(item?.type, 'error');
    assert.equal(item?.type === 'error' && item.error.code, 'SOCKETLAB_ERR_LINE_TOO_LONG');
    d.push(Buffer.from('PING\n'));
    assert.equal(d.next(), null, 'nothing after a stream error');
    assert.equal(d.buffered, 0);
  });

  it('accepts a line of exactly maxLineBytes, with LF or CRLF', () => {
    const line = Buffer.alloc(LIMITS.maxLineBytes, 0x41);
    for (const end of ['\n', '\r\n']) {
      const items = decodeAll([Buffer.concat([line, Buffer.from(end)])]);
      assert.equal(items.length, 1);
      assert.equal(items[0]!.type, 'request');
    }
  });

  it('checks the frame length from the header before buffering the body', () => {
    const d = new RequestDecoder(LIMITS);
    const h = Buffer.from([0xff, 1, 1, 0, 0x7f, 0xff, 0xff, 0xff]); // announces ~2 GiB
    d.push(h);
    const item = d.next();
    assert.equal(item?.type === 'error' && item.error.code, 'SOCKETLAB_ERR_FRAME_TOO_LARGE');
    assert.equal(d.buffered, 0);
  });

  it('rejects malformed frame headers with coded errors', () => {
    const cases: [number[], string][] = [
      [[0xff, 9], 'unsupported protocol version 9'],
      [[0xff, 1, 2, 0, 0, 0, 0, 0], 'expected a request frame'],
      [[0xff, 1, 1, 7, 0, 0, 0, 0], 'flags must be 0'],
    ];
    for (const [bytes, text] of cases) {
      const items = decodeAll([Buffer.from(bytes)]);
      assert.equal(items.length, 1);
      const item = items[0]!;
      assert.ok(item.type === 'error' && item.error.code === 'SOCKETLAB_ERR_MALFORMED_FRAME' && item.error.message.includes(text), String(text));
    }
  });

  it('flags HTTP requests', () => {
    for (const line of ['GET / HTTP/1.1', 'POST /x HTTP/1.0', 'Host: example.com', 'host:x']) {
      const items = decodeAll([Buffer.from(line + '\r\n')]);
      assert.equal(items.length, 1);
      assert.ok(items[0]!.type === 'error' && items[0]!.error.code === 'SOCKETLAB_ERR_HTTP_REQUEST', line);
    }
  });

  it('skips blank lines and keeps both framings apart per request', () => {
    const wire = Buffer.concat([Buffer.from('\r\n\nPING\n'), encodeRequest('ECHO a\nb', 'binary'), Buffer.from('ping\r\n')]);
    const items = decodeAll([wire]);
    assert.deepEqual(items.map((i) => i.type === 'request' && [i.framing, i.payload.toString()]), [
      ['text', 'PING'],
      ['binary', 'ECHO a\nb'],
      ['text', 'ping'],
    ]);
  });

  it('uses the documented default limits', () => {
    assert.equal(DEFAULT_LIMITS.maxLineBytes, 65536);
  });
});

describe('ReplyDecoder', () => {
  it('round-trips OK and ERR replies in both framings across any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')), fc.constant(null)), { maxLength: 10 }),
        fc.constantFrom('text' as const, 'binary' as const),
        fc.array(fc.nat(), { maxLength: 10 }),
        (values, framing, cuts) => {
          const err = new InvalidArgumentError('bad thing');
          const wire = Buffer.concat(values.map((v) => (v === null ? encodeError(framing, err) : encodeOk(framing, v))));
          const d = new ReplyDecoder();
          const out: unknown[] = [];
          for (const c of split(wire, cuts)) {
            d.push(c);
            let r;
            while ((r = d.next()) !== null) out.push(r.ok ? r.value.toString() : r.error.code);
          }
          assert.deepEqual(out, values.map((v) => (v === null ? 'SOCKETLAB_ERR_INVALID_ARGUMENT' : v)));
          assert.equal(d.buffered, 0, 'nothing held once every reply is out');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('holds a partial reply and says how many bytes it holds (buffered)', () => {
    const d = new ReplyDecoder();
    d.push(Buffer.from('OK PO'));
    assert.equal(d.next(), null);
    assert.equal(d.buffered, 5, 'a partial reply is held');
    d.push(Buffer.from('NG\nOK'));
    assert.equal(d.next()?.ok, true);
    assert.equal(d.buffered, 2);
    assert.equal(d.next(), null);
  });

  it('throws a coded error on bytes that are not a reply', () => {
    const d = new ReplyDecoder();
    d.push(Buffer.from('HELLO\n'));
    assert.throws(() => d.next(), { code: 'SOCKETLAB_ERR_BAD_REPLY' });
  });
});
