import { describe, expect, it } from 'vitest';
import { OVERRIDE_MODAL } from '../../src/slack/actions.js';
import { MAX_REASON, overrideModal, parseSubmission, REASON_BLOCK } from '../../src/slack/override.js';

const typed = (value: string | null) => ({ [REASON_BLOCK]: { reason: { value } } });

describe("the override modal's submission, parsed", () => {
  it('takes the incident from the private metadata and the trimmed reason', () => {
    expect(parseSubmission('incident-1', typed('  customers are down \n'))).toEqual({
      ok: true,
      incidentId: 'incident-1',
      reason: 'customers are down',
    });
  });

  it.each([
    [
      'an empty reason',
      'incident-1',
      typed('   '),
      'Say why the remediation cannot wait for the freeze to end.',
    ],
    [
      'no reason at all',
      'incident-1',
      typed(null),
      'Say why the remediation cannot wait for the freeze to end.',
    ],
    [
      'a reason too long',
      'incident-1',
      typed('x'.repeat(MAX_REASON + 1)),
      `At most ${MAX_REASON} characters.`,
    ],
    ['no incident', '', typed('why'), 'This form lost its incident; open it again from the message.'],
  ])('refuses %s, saying why', (_, metadata, values, error) => {
    expect(parseSubmission(metadata, values)).toEqual({ ok: false, error });
  });

  it('the modal asks for the reason in the block the parser reads, as long as a reason may be', () => {
    const modal = overrideModal('incident-1');
    expect(modal).toMatchObject({ callback_id: OVERRIDE_MODAL, private_metadata: 'incident-1' });
    expect(modal.blocks[1]).toMatchObject({
      type: 'input',
      block_id: REASON_BLOCK,
      element: { action_id: 'reason', max_length: MAX_REASON },
    });
  });
});
