import { z } from 'zod';

/**
 * Which containers the fleet view shows (STEADFAST_FLEET_LABEL): `*` for every running container,
 * `key=value` or `key` for the containers carrying that label, running or not.
 */
export type FleetSelector = { all: true } | { all: false; label: string };

// Docker label keys are reverse-DNS-like; a value may hold anything but a comma (the filter's separator).
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}(=[^,\n]{0,256})?$/;

/** The setting as written; fleetSelectorOf reads it. */
export const fleetLabelSchema = z
  .string()
  .trim()
  .refine((s) => s === '*' || LABEL.test(s), {
    error:
      'a label selector such as steadfast.fleet=true (key=value or key), or * for every running container',
  });

export const fleetSelectorOf = (text: string): FleetSelector =>
  text === '*' ? { all: true } : { all: false, label: text };

/** How a selector is written (the setting's own text), for answers and logs. */
export const selectorText = (selector: FleetSelector): string => (selector.all ? '*' : selector.label);

/** The list call's options for a selector: dockerode's `all` and the engine's filters. */
export function listOptions(selector: FleetSelector): { all: boolean; filters: Record<string, string[]> } {
  return selector.all
    ? { all: false, filters: { status: ['running'] } }
    : { all: true, filters: { label: [selector.label] } };
}
