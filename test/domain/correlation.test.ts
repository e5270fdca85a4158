import { describe, expect, it } from 'vitest';
import { correlate, DEFAULT_CORRELATION_LABELS } from '../../src/domain/correlation.js';

const ID_SHAPE = /^incident-[A-Za-z0-9._-]+-[0-9a-f]{10}$/;

describe('correlate', () => {
  it('when two groups share the same labels, then they get the same incident id', () => {
    const labels = { alertname: 'ServiceDown', service: 'checkout', namespace: 'prod', instance: 'a:80' };

    const first = correlate(labels, 'group-1');
    const second = correlate({ ...labels, instance: 'b:80' }, 'group-2');

    expect(second.incidentId).toBe(first.incidentId);
    expect(second.key).toBe(first.key);
  });

  it('when the namespace differs, then the incident ids differ', () => {
    const prod = correlate({ alertname: 'ServiceDown', service: 'checkout', namespace: 'prod' }, 'g');
    const staging = correlate({ alertname: 'ServiceDown', service: 'checkout', namespace: 'staging' }, 'g');

    expect(staging.incidentId).not.toBe(prod.incidentId);
  });

  it('when both service and job are present, then service|job picks service', () => {
    const result = correlate({ alertname: 'HighLatency', service: 'checkout', job: 'checkout-scrape' }, 'g');

    expect(result.key).toBe('alertname="HighLatency",service="checkout"');
    expect(result.key).not.toContain('job=');
  });

  it('when service is absent, then service|job falls back to job', () => {
    const result = correlate({ alertname: 'HighLatency', job: 'node' }, 'g');

    expect(result.key).toBe('alertname="HighLatency",job="node"');
  });

  it('when service is empty, then it counts as absent and job is used', () => {
    const result = correlate({ alertname: 'HighLatency', service: '', job: 'node' }, 'g');

    expect(result.key).toBe('alertname="HighLatency",job="node"');
  });

  it('when labels are ordinary, then the id is readable and has the documented shape', () => {
    const result = correlate({ alertname: 'ServiceDown', service: 'checkout', namespace: 'prod' }, 'g');

    expect(result.incidentId).toMatch(ID_SHAPE);
    expect(result.incidentId.startsWith('incident-ServiceDown.checkout.prod-')).toBe(true);
  });

  it('when label values contain odd characters, then they are sanitised into the id', () => {
    const result = correlate({ alertname: 'Disk full!', service: 'a/b c?d', namespace: 'ns#1' }, 'g');

    expect(result.incidentId).toMatch(ID_SHAPE);
    expect(result.incidentId.startsWith('incident-Disk_full_.a_b_c_d.ns_1-')).toBe(true);
  });

  it('when two keys sanitise to the same readable part, then the hash still keeps them apart', () => {
    const slash = correlate({ alertname: 'a/b' }, 'g');
    const space = correlate({ alertname: 'a b' }, 'g');

    expect(slash.incidentId).toMatch(ID_SHAPE);
    expect(space.incidentId).toMatch(ID_SHAPE);
    expect(slash.incidentId.slice(0, -10)).toBe(space.incidentId.slice(0, -10));
    expect(slash.incidentId).not.toBe(space.incidentId);
  });

  it('when values are longer than the readable part, then ids still differ and stay bounded', () => {
    const long = 'x'.repeat(200);

    const first = correlate({ alertname: `${long}1` }, 'g');
    const second = correlate({ alertname: `${long}2` }, 'g');

    expect(first.incidentId).toMatch(ID_SHAPE);
    expect(first.incidentId).not.toBe(second.incidentId);
    expect(first.incidentId.length).toBe('incident-'.length + 120 + 1 + 10);
  });

  it('when a value is only odd characters, then the id still has the documented shape', () => {
    const result = correlate({ alertname: '日本語' }, 'g');

    expect(result.incidentId).toMatch(ID_SHAPE);
  });

  it('when the group shares none of the correlation labels, then the group identity is the key', () => {
    const first = correlate({}, '{}:{alertname="X"}');
    const again = correlate({ instance: 'only-this' }, '{}:{alertname="X"}');
    const other = correlate({}, '{}:{alertname="Y"}');

    expect(first.key).toBe('group={}:{alertname="X"}');
    expect(first.incidentId).toMatch(ID_SHAPE);
    expect(first.incidentId.startsWith('incident-group-')).toBe(true);
    expect(again.incidentId).toBe(first.incidentId);
    expect(other.incidentId).not.toBe(first.incidentId);
  });

  it('when custom correlation labels are given, then only they count', () => {
    const labels = { alertname: 'X', cluster: 'eu-1', namespace: 'prod' };

    const result = correlate(labels, 'g', ['cluster']);

    expect(result.key).toBe('cluster="eu-1"');
    expect(DEFAULT_CORRELATION_LABELS).toContain('service|job');
  });

  it('when a label value contains the separators, then it cannot collide with another label set', () => {
    const smuggled = correlate({ alertname: 'a,service=b' }, 'g');
    const honest = correlate({ alertname: 'a', service: 'b' }, 'g');
    expect(smuggled.key).not.toBe(honest.key);
    expect(smuggled.incidentId).not.toBe(honest.incidentId);
  });
});
