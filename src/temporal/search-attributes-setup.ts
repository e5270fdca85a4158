import type { Client } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { Logger } from '../lib/logger.js';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

// @temporalio/proto is CommonJS: its namespaces come through the default export.
const { IndexedValueType } = proto.temporal.api.enums.v1;
const INDEXED: Record<SearchAttributeType, proto.temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers the product's search attributes in the namespace when they are missing. Where the server
 * does not allow it (Temporal Cloud, a locked-down cluster), says which to register and carries on.
 */
export async function ensureSearchAttributes(
  client: Client,
  namespace: string,
  logger: Logger,
): Promise<void> {
  const wanted = Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, INDEXED[k.type]]));
  try {
    const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
    const known = { ...existing.customAttributes, ...existing.systemAttributes };
    const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !(name in known)));
    if (Object.keys(missing).length === 0) return;
    await client.connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    logger.info(
      { event: 'temporal.search-attributes-added', names: Object.keys(missing) },
      'registered search attributes',
    );
  } catch (err) {
    logger.error(
      { event: 'temporal.search-attributes-unavailable', err },
      `could not register search attributes; register them as Keyword in namespace ${namespace}: ${Object.keys(wanted).join(', ')}`,
    );
  }
}
