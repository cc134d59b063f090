// A long plain IPVS batch is encoded as it is checked (EncodedOps), and its
// common destination adds are written straight from the op, with no step or
// destination object (plainDestination). Whatever the path, the bytes must be
// those of the op's step written alone, which is also what an error's field
// offsets are read against.
import { describe, it, expect } from 'vitest';
import { MessageWriter } from '../../lib/codec/writer.js';
import { ValidationError } from '../../lib/protocol/errors.js';
import { ENCODED_CHUNK, checkOps, writeStepMessage } from '../../lib/families/ipvs/steps.js';
import { plainDestination } from '../../lib/families/ipvs/validate-destination.js';
import { ServiceIds, plainService, plainServiceKey, serviceId } from '../../lib/families/ipvs/validate.js';
import type { IpvsOp } from '../../lib/families/ipvs/ops.js';
import type { DestinationSpec, ServiceKey, ServiceSpec } from '../../lib/families/ipvs/types.js';

const FAMILY_ID = 0x1234;
const INT_MAX = 0x7fffffff;

/** Destinations of every shape: plain ones, and ones plainDestination leaves to resolveDestination. */
const SHAPES: DestinationSpec[] = [
  { address: '198.51.100.1' },
  { address: '198.51.100.2', port: 8080, forward: 'masq', weight: 1 },
  { address: '198.51.100.3', port: 1, forward: 'route', weight: 0 },
  { address: '198.51.100.4', port: 65535, forward: 'local', weight: INT_MAX },
  { address: '198.51.100.5', forward: 'bypass', upperThreshold: 10, lowerThreshold: 5 },
  { address: '198.51.100.6', upperThreshold: INT_MAX, lowerThreshold: INT_MAX },
  { address: '198.51.100.7', forward: 'tunnel' },
  // Addresses whose bits are positive and negative as int32, at both ends.
  { address: '10.0.0.1', port: 2 },
  { address: '0.0.0.1' },
  { address: '255.255.255.254', forward: 'route' },
];
/** Shapes that need a read-back (tunnel options, mixed families): a batch holding one keeps its steps. */
const READ_BACK: DestinationSpec[] = [
  { address: '198.51.100.8', forward: 'tunnel', tunnel: { type: 'gue', port: 6080 } },
  { address: '2001:db8::8', forward: 'tunnel' },
];

/** Service specs of every shape, plain (no options, a built-in scheduler or none) and not. */
function serviceSpec(i: number): { key: ServiceKey; spec: ServiceSpec } {
  const key: ServiceKey =
    i % 7 === 3 ? { fwmark: 1 + i }
    : i % 11 === 6 ? { protocol: 'tcp', address: `2001:db8::${i.toString(16)}`, port: 443 }
    : { protocol: i % 2 ? 'udp' : 'tcp', address: `198.18.${i >> 8}.${i & 255}`, port: 80 };
  const options: Partial<ServiceSpec>[] = [
    { scheduler: 'rr' },
    {},
    { scheduler: 'sh', flags: { shPort: true } },
    { scheduler: 'wrr', persistent: 300 },
    { scheduler: 'lc', netmask: 'family' in key || ('address' in key && key.address.includes(':')) ? 64 : '255.255.255.0' },
  ];
  return { key, spec: { ...key, ...options[i % options.length] } as ServiceSpec };
}

function bulk(services: number): IpvsOp[] {
  const ops: IpvsOp[] = [];
  for (let i = 0; i < services; i++) {
    const { key, spec } = serviceSpec(i);
    ops.push({ op: 'addService', service: spec });
    const v6 = 'address' in key && key.address.includes(':');
    for (const [j, shape] of SHAPES.entries()) {
      // fwmark services need a destination port (theirs is 0); IPv6 services get IPv6 destinations.
      let dest: DestinationSpec = 'fwmark' in key && shape.port === undefined ? { ...shape, port: 8000 + j } : shape;
      if (v6) dest = { ...dest, address: `2001:db8:1::${j + 1}` };
      ops.push({ op: 'addDestination', service: key, destination: dest });
    }
  }
  return ops;
}

describe('EncodedOps: a long plain batch', () => {
  it('writes every op as its step alone would be written, plain destinations included', async () => {
    const ops = bulk(400); // 4800 ops: past the size where steps are kept
    const batch = await checkOps(ops, false, {});
    expect(batch.encoded).toBeDefined();
    // A chunk at a time, as ops.ts sends them: each is written into the same buffer.
    for (let from = 0; from < ops.length; from += ENCODED_CHUNK) {
      const to = Math.min(ops.length, from + ENCODED_CHUNK);
      const source = batch.encoded!.chunk(from, to, FAMILY_ID, (i) => batch.at(i));
      expect(source.count).toBe(to - from);
      const bytes = source.view();
      for (let k = 0; k < to - from; k++) {
        const one = new MessageWriter(256);
        writeStepMessage(one, FAMILY_ID, batch.at(from + k));
        one.endUnrecorded();
        const got = bytes.subarray(source.startOf(k), source.startOf(k) + source.lengthOf(k));
        expect(Buffer.compare(got, one.view()), `op ${from + k}: ${JSON.stringify(ops[from + k])}`).toBe(0);
      }
    }
  });

  it('takes the plain path only for services with no options, and IPv4 destinations of IPv4 services with no tunnel and every field in range', () => {
    const v4 = serviceId({ protocol: 'tcp', address: '198.18.0.1', port: 80 });
    const v6 = serviceId({ protocol: 'tcp', address: '2001:db8::1', port: 80 });
    const plain = [...SHAPES, ...READ_BACK].filter((d) => plainDestination(d, v4) !== undefined).map((d) => d.address);
    expect(plain).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5', '198.51.100.6', '10.0.0.1', '0.0.0.1', '255.255.255.254']);
    // The shared object keeps the address as bits, and still says what it is.
    expect(plainDestination({ address: '255.255.255.254', port: 9 }, v4)?.id.text).toBe('255.255.255.254:9');
    expect(plainDestination({ address: '198.51.100.1' }, v6)).toBeUndefined();
    expect(plainService({ protocol: 'tcp', address: '198.18.0.1', port: 80, scheduler: 'rr' }, v4)?.netmask).toBe(0xffffffff);
    expect(plainService({ protocol: 'tcp', address: '2001:db8::1', port: 80 }, v6)?.scheduler).toBe('wlc');
    for (const extra of [{ scheduler: 'nope' }, { scheduler: '' }, { scheduler: null }, { persistent: 0 }, { netmask: 32 }, { pe: 'sip' }, { flags: {} }]) {
      expect(plainService({ protocol: 'tcp', address: '198.18.0.1', port: 80, ...extra } as unknown as ServiceSpec, v4), JSON.stringify(extra)).toBeUndefined();
    }
    for (const bad of [{ weight: null }, { weight: -1 }, { weight: 1.5 }, { port: 0 }, { port: '80' }, { forward: 'nat' }, { lowerThreshold: 2, upperThreshold: 1 }, { upperThreshold: INT_MAX + 1 }]) {
      expect(plainDestination({ address: '198.51.100.1', ...bad } as unknown as DestinationSpec, v4), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('names a plain service by its key alone, with the values serviceId() gives, and leaves any other key to serviceId()', () => {
    for (const key of [
      { protocol: 'tcp', address: '198.18.0.1', port: 80 },
      { protocol: 'udp', address: '255.255.255.255', port: 65535 },
      { protocol: 'sctp', address: '10.0.0.1', port: 1 },
    ] as ServiceKey[]) {
      const id = serviceId(key);
      const plain = plainServiceKey(key)!;
      expect([plain.family, plain.af, plain.fwmark, plain.protocol, plain.port, plain.text, [...plain.address]]).toEqual([id.family, id.af, id.fwmark, id.protocol, id.port, id.text, [...id.address]]);
    }
    for (const key of [
      { fwmark: 1 },
      { protocol: 'tcp', address: '2001:db8::1', port: 80 },
      { protocol: 'tcp', address: '198.18.0.1', port: 80, family: 4 },
      { protocol: 'tcp', address: '198.18.0.01', port: 80 },
      { protocol: 'tcp', address: '198.18.0.1', port: 0 },
      { protocol: 'tcp', address: '198.18.0.1', port: 80.5 },
      { protocol: 'icmp', address: '198.18.0.1', port: 80 },
      { protocol: 'toString', address: '198.18.0.1', port: 80 },
      null,
    ]) {
      expect(plainServiceKey(key as unknown as ServiceKey), JSON.stringify(key)).toBeUndefined();
    }
  });

  it('still names the field of a bad destination in a long batch', async () => {
    const ops = bulk(300);
    const at = ops.length - 5;
    ops[at] = { op: 'addDestination', service: { protocol: 'tcp', address: '198.18.0.0', port: 80 }, destination: { address: '198.51.100.1', weight: null as unknown as number } };
    await expect(checkOps(ops, false, {})).rejects.toThrow(ValidationError);
    await expect(checkOps(ops, false, {})).rejects.toMatchObject({ field: `ops[${at}].destination.weight` });
    ops[at] = { op: 'addDestination', service: { protocol: 'tcp', address: '198.18.0.0', port: 80 }, destination: { address: '198.51.100.1', lowerThreshold: 9, upperThreshold: 3 } };
    await expect(checkOps(ops, false, {})).rejects.toMatchObject({ field: `ops[${at}].destination.lowerThreshold` });
  });

  it('remembers each service of an address apart (ServiceIds)', () => {
    const ids = new ServiceIds();
    const keys: ServiceKey[] = [
      { protocol: 'tcp', address: '198.18.0.1', port: 80 },
      { protocol: 'udp', address: '198.18.0.1', port: 80 },
      { protocol: 'tcp', address: '198.18.0.1', port: 443 },
      { protocol: 'sctp', address: '198.18.0.1', port: 80 },
      { protocol: 'tcp', address: '198.18.0.2', port: 80 },
    ];
    for (let round = 0; round < 2; round++) {
      for (const key of keys) {
        // A fresh object each time: only the address, protocol and port may find the remembered id.
        const id = ids.get({ ...key }, 'service');
        const fresh = serviceId(key);
        expect([id.text, id.protocol, id.port]).toEqual([fresh.text, fresh.protocol, fresh.port]);
      }
    }
  });
});
