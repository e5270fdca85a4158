/**
 * Temporal connections a test file opens through the support helpers (`testClient`, `testActivities`),
 * closed once the file's own hooks have run (test/support/file-setup.ts). A file runs in a process of its
 * own, but its channels should end with the file, as a product's do with the product.
 */
const open = new Set<{ close(): Promise<void> }>();

export function closeWithFile<T extends { close(): Promise<void> }>(connection: T): T {
  open.add(connection);
  return connection;
}

export async function closeFileConnections(): Promise<void> {
  const connections = [...open];
  open.clear();
  // Closing twice is harmless: a test may close what it made itself.
  await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
}
