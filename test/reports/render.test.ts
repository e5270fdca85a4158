import { describe, expect, it } from 'vitest';
import { reportAssets } from '../../src/reports/assets.js';
import { renderReport } from '../../src/reports/render.js';
import { makeAlert } from '../support/scenario.js';
import { incidentState } from '../support/incident.js';

describe('the incident report', () => {
  it("shows an alert's label values quoted, so one value cannot pass for more labels", async () => {
    const alert = makeAlert({
      alertName: 'DiskFull',
      fingerprint: 'f1',
      labels: { alertname: 'DiskFull', instance: 'db-1", namespace="prod", team="payments' },
    });
    const html = renderReport(
      {
        state: incidentState({ alerts: [alert] }),
        history: { eventCount: 0, events: [] },
        workflowUrl: 'http://127.0.0.1:8233/namespaces/default/workflows/x',
      },
      await reportAssets(),
    );
    expect(html).toContain(
      'alertname=&quot;DiskFull&quot;, instance=&quot;db-1\\&quot;, namespace=\\&quot;prod\\&quot;, team=\\&quot;payments&quot;',
    );
    expect(html).not.toContain('namespace=&quot;prod&quot;');
  });
});
