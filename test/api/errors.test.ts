import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { fromTemporal } from '../../src/api/errors.js';
import { IncidentBusyError } from '../../src/incidents/ingest.js';

/** What the Temporal client throws for a failed call: a ServiceError caused by the gRPC error. */
function grpcFailure(code: number, details: string): ServiceError {
  const grpc = Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
  return new ServiceError('Failed to signalWithStart Workflow', { cause: grpc });
}

describe("Temporal's failures as HTTP answers", () => {
  it.each([
    [1, 'Call cancelled'],
    [4, 'Deadline exceeded'],
    [14, 'No connection established'],
  ])('answers 503 (retry) when a call ends with gRPC code %i', (code, details) => {
    expect(fromTemporal(grpcFailure(code, details))).toMatchObject({
      status: 503,
      code: 'TemporalUnavailable',
    });
  });

  it('answers 503 (retry) when the workflow cannot answer because its last task failed', () => {
    expect(fromTemporal(grpcFailure(9, 'Workflow Task in failed state'))).toMatchObject({
      status: 503,
      code: 'IncidentUnavailable',
    });
  });

  it('answers 503 (retry) when the incident cannot take a large delivery now', () => {
    const busy = new IncidentBusyError('incident x holds 20.0 MB of history; retry later');
    expect(fromTemporal(busy)).toMatchObject({ status: 503, code: 'IncidentBusy', message: busy.message });
  });

  it('answers 503 (retry) when the server refuses a signal to a run whose history is full', () => {
    expect(fromTemporal(grpcFailure(3, 'Workflow history size exceeds limit.'))).toMatchObject({
      status: 503,
      code: 'IncidentBusy',
    });
  });

  it('answers 503 (retry) when the server refuses a signal to a run that has taken as many as it allows', () => {
    expect(fromTemporal(grpcFailure(3, 'exceeded workflow execution limit for signal events'))).toMatchObject(
      { status: 503, code: 'IncidentBusy' },
    );
  });

  it('leaves other failures to the caller (a 500 that is logged)', () => {
    expect(fromTemporal(grpcFailure(3, 'invalid argument'))).toBeUndefined();
  });
});
