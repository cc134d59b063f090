// The IPVS planner on plain data (no kernel): what apply() would send for a
// desired state against a given kernel snapshot and ownership record.
import { describe, it, expect } from 'vitest';
import { normalizeIpvs, type IpvsDesiredState } from '../../lib/desired/ipvs-desired.js';
import { planIpvs, recordAfter } from '../../lib/desired/ipvs-diff.js';
import { emptyRecord, parseRecord, recordText, type OwnershipRecord } from '../../lib/desired/ownership.js';
import { formatPlan, emptyReport } from '../../lib/desired/report.js';
import { asService } from '../../lib/families/ipvs/service.js';
import { asDestination } from '../../lib/families/ipvs/destination.js';
import type { Destination, ServiceWithDestinations } from '../../lib/families/ipvs/types.js';
import { ValidationError } from '../../lib/protocol/errors.js';

const NOW = 1_700_000_000_000;
const TIMEOUT = 300_000;

const web = { protocol: 'tcp', address: '198.51.100.1', port: 80 } as const;

const desired = (weights: Record<string, number>, scheduler?: string): IpvsDesiredState => ({
  services: [{ ...web, scheduler, destinations: Object.entries(weights).map(([address, weight]) => ({ address, forward: 'masq', weight })) }],
});

/** The kernel as it would read after `state` was applied (counters zero). */
function kernelOf(state: IpvsDesiredState, active: Record<string, number> = {}): ServiceWithDestinations[] {
  return normalizeIpvs(state).map((s) => ({
    ...asService(s.resolved),
    destinations: s.destinations.map((d): Destination => ({ ...asDestination(d.resolved), activeConnections: active[d.resolved.id.text] ?? 0 })),
  }));
}

function plan(state: IpvsDesiredState, kernel: ServiceWithDestinations[], record: OwnershipRecord = emptyRecord('t'), now = NOW) {
  return planIpvs({ desired: normalizeIpvs(state), kernel, record, now, drainTimeout: TIMEOUT });
}

describe('planIpvs', () => {
  it('adds a missing service and its destinations, with defaults stated', () => {
    const p = plan(desired({ '192.0.2.10': 1, '192.0.2.11': 2 }, 'rr'), []);
    expect(p.steps.map((s) => s.op.op)).toEqual(['addService', 'addDestination', 'addDestination']);
    expect(p.steps[0]!.op).toMatchObject({ service: { scheduler: 'rr', persistent: 0, netmask: '255.255.255.255' } });
    expect(p.record.services).toEqual(['198.51.100.1:80/tcp']);
    const report = { ...emptyReport(true), added: p.steps.map((s) => s.change) };
    expect(formatPlan(report)).toEqual([
      '+ service 198.51.100.1:80/tcp rr',
      '+ destination 192.0.2.10:80 in service 198.51.100.1:80/tcp masq weight 1',
      '+ destination 192.0.2.11:80 in service 198.51.100.1:80/tcp masq weight 2',
    ]);
  });

  it('has nothing to do when the kernel already matches (defaults included)', () => {
    const state = desired({ '192.0.2.10': 1 });
    expect(plan(state, kernelOf(state)).steps).toEqual([]);
    const fw: IpvsDesiredState = { services: [{ fwmark: 7, family: 6, destinations: [{ address: '2001:db8::10' }] }] };
    expect(plan(fw, kernelOf(fw)).steps).toEqual([]);
  });

  it('edits weights and the scheduler in place', () => {
    const p = plan(desired({ '192.0.2.10': 5 }, 'rr'), kernelOf(desired({ '192.0.2.10': 1 }, 'wlc')));
    expect(p.steps.map((s) => s.op.op)).toEqual(['editService', 'editDestination']);
    expect(p.steps.map((s) => s.change.fields)).toEqual([[{ field: 'scheduler', from: 'wlc', to: 'rr' }], [{ field: 'weight', from: 1, to: 5 }]]);
  });

  it('clears what the desired state leaves out (persistence)', () => {
    const kernel = kernelOf({ services: [{ ...web, persistent: 300 }] });
    const p = plan({ services: [{ ...web }] }, kernel);
    expect(p.steps.map((s) => [s.op.op, s.change.fields])).toEqual([['editService', [{ field: 'persistent', from: 300, to: 0 }]]]);
  });

  it('drains a removed destination: weight 0 now, delete later when idle or at the deadline', () => {
    const before = desired({ '192.0.2.10': 1, '192.0.2.11': 1 });
    const after = desired({ '192.0.2.10': 1 });
    const first = plan(after, kernelOf(before, { '192.0.2.11:80': 3 }));
    expect(first.steps.map((s) => [s.op.op, s.change.reason])).toEqual([['editDestination', 'drain started']]);
    expect(first.steps[0]!.op).toMatchObject({ destination: { address: '192.0.2.11', port: 80, weight: 0 } });
    expect(first.draining).toEqual([{ object: 'destination 192.0.2.11:80 in service 198.51.100.1:80/tcp', since: NOW, deadline: NOW + TIMEOUT, activeConnections: 3 }]);
    expect(first.record.draining).toEqual({ '198.51.100.1:80/tcp': { '192.0.2.11:80': NOW } });

    // Weight 0 in the kernel, still busy: nothing to send, still draining (the record says why the weight is 0).
    const drained = kernelOf(desired({ '192.0.2.10': 1, '192.0.2.11': 0 }), { '192.0.2.11:80': 2 });
    const second = plan(after, drained, first.record, NOW + 1000);
    expect(second.steps).toEqual([]);
    expect(second.draining).toHaveLength(1);

    const idle = kernelOf(desired({ '192.0.2.10': 1, '192.0.2.11': 0 }));
    const third = plan(after, idle, first.record, NOW + 2000);
    expect(third.steps.map((s) => [s.op.op, s.change.reason])).toEqual([['deleteDestination', 'drained']]);
    expect(recordAfter(third.record, third.steps, () => true).draining).toEqual({ '198.51.100.1:80/tcp': {} });

    const late = plan(after, drained, first.record, NOW + TIMEOUT);
    expect(late.steps.map((s) => [s.op.op, s.change.reason])).toEqual([['deleteDestination', 'drain timeout']]);
    // A failed delete stays on record.
    expect(recordAfter(late.record, late.steps, () => false).draining).toEqual({ '198.51.100.1:80/tcp': { '192.0.2.11:80': NOW } });
  });

  it('a destination wanted again stops draining and gets its weight back', () => {
    const record: OwnershipRecord = { ...emptyRecord('t'), services: ['198.51.100.1:80/tcp'], draining: { '198.51.100.1:80/tcp': { '192.0.2.11:80': NOW } } };
    const p = plan(desired({ '192.0.2.10': 1, '192.0.2.11': 1 }), kernelOf(desired({ '192.0.2.10': 1, '192.0.2.11': 0 })), record);
    expect(p.steps.map((s) => [s.op.op, s.change.fields, s.change.reason])).toEqual([['editDestination', [{ field: 'weight', from: 0, to: 1 }], 'wanted again: drain cancelled']]);
    expect(p.record.draining).toEqual({});
  });

  it('touches only owned services; removes an owned one that is no longer wanted (after draining)', () => {
    const mine = { protocol: 'tcp', address: '198.51.100.2', port: 80 } as const;
    const theirs = { protocol: 'udp', address: '198.51.100.3', port: 53 } as const;
    const kernel = kernelOf({ services: [{ ...mine, destinations: [{ address: '192.0.2.20' }] }, { ...theirs }] });
    const record: OwnershipRecord = { ...emptyRecord('t'), services: ['198.51.100.2:80/tcp'] };
    const p = plan({ services: [] }, kernel, record);
    expect(p.steps.map((s) => [s.op.op, s.change.object])).toEqual([['editDestination', 'destination 192.0.2.20:80 in service 198.51.100.2:80/tcp']]);
    expect(p.record.removing).toEqual({ '198.51.100.2:80/tcp': NOW });
    // Without the record (lost state file), nothing outside the desired state is touched.
    expect(plan({ services: [] }, kernel).steps).toEqual([]);

    const zeroed = kernelOf({ services: [{ ...mine, destinations: [{ address: '192.0.2.20', weight: 0 }] }, { ...theirs }] });
    const later = plan({ services: [] }, zeroed, p.record, NOW + 1000);
    expect(later.steps.map((s) => [s.op.op, s.change.reason])).toEqual([['deleteService', 'drained']]);
    const after = recordAfter(later.record, later.steps, () => true);
    expect(after.services).toEqual([]);
    expect(after.removing).toEqual({});
  });

  it('a changed port is another service: the old one drains, the new one is added', () => {
    const record: OwnershipRecord = { ...emptyRecord('t'), services: ['198.51.100.1:80/tcp'] };
    const p = plan({ services: [{ ...web, port: 8080, destinations: [{ address: '192.0.2.10' }] }] }, kernelOf(desired({ '192.0.2.10': 1 })), record);
    expect(p.steps.map((s) => [s.op.op, s.change.object])).toEqual([
      ['addService', 'service 198.51.100.1:8080/tcp'],
      ['addDestination', 'destination 192.0.2.10:8080 in service 198.51.100.1:8080/tcp'],
      ['editDestination', 'destination 192.0.2.10:80 in service 198.51.100.1:80/tcp'],
    ]);
  });

  it('drainTimeout 0 deletes at once', () => {
    const p = planIpvs({ desired: normalizeIpvs(desired({})), kernel: kernelOf(desired({ '192.0.2.10': 1 })), record: emptyRecord('t'), now: NOW, drainTimeout: 0 });
    expect(p.steps.map((s) => s.op.op)).toEqual(['deleteDestination']);
  });
});

describe('normalizeIpvs', () => {
  it('names the bad field', () => {
    expect(() => normalizeIpvs(desired({ '192.0.2.10': -1 }))).toThrow(ValidationError);
    expect(() => normalizeIpvs(desired({ '192.0.2.10': -1 }))).toThrow(/services\[0\]\.destinations\[0\]\.weight/);
    expect(() => normalizeIpvs({ services: [{ ...web }, { ...web }] })).toThrow(/services\[1\]: service 198.51.100.1:80\/tcp is already listed as services\[0\]/);
    expect(() => normalizeIpvs({ services: [{ ...web, destinations: [{ address: '192.0.2.1' }, { address: '192.0.2.1', port: 80 }] }] })).toThrow(/destinations\[1\]/);
    expect(() => normalizeIpvs({} as IpvsDesiredState)).toThrow(/services/);
  });
});

describe('ownership record', () => {
  it('round-trips, canonical; anything else is not trusted', () => {
    const r: OwnershipRecord = { version: 1, owner: 'web', services: ['b', 'a'], draining: { a: { 'x:1': 5 } }, removing: {} };
    const text = recordText(r);
    expect(parseRecord(text, 'web')).toEqual({ ...r, services: ['a', 'b'] });
    expect(parseRecord(text, 'other')).toBeUndefined();
    expect(parseRecord('{"version":1', 'web')).toBeUndefined();
    expect(parseRecord('{"version":1,"owner":"web","services":[1],"draining":{},"removing":{}}', 'web')).toBeUndefined();
  });
});
