import { describe, expect, it } from 'vitest';
import { reportAssets } from '../../src/reports/assets.js';
import { reportPolicy, reportScripts } from '../../src/reports/policy.js';
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

  it('allows its own scripts by hash, in the document too, and none that sits in the incident', async () => {
    const html = renderReport(
      {
        // An escaping fault that let markup through would put it inside <main>.
        state: incidentState({ title: 'x</main><script>alert(1)</script>' }),
        history: { eventCount: 0, events: [] },
        workflowUrl: 'http://127.0.0.1:8233/namespaces/default/workflows/x',
      },
      await reportAssets(),
    );
    const scripts = reportScripts(html);
    expect(scripts).toHaveLength(3);
    expect(scripts).not.toContain('alert(1)');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
    expect(meta?.replace(/&#39;/g, "'")).toBe(reportPolicy(scripts, 'meta'));
    expect(reportPolicy(scripts, 'meta')).not.toContain('sandbox');
    expect(reportPolicy(scripts, 'header')).toContain('sandbox allow-scripts');
    // A hand-made page whose only scripts sit in the incident's part runs nothing.
    expect(reportPolicy(reportScripts('<main><script>alert(1)</script></main>'), 'header')).toContain(
      "script-src 'none'",
    );
  });
});
