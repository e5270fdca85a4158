/**
 * A response body read as a stream up to `maxBytes`, the rest cancelled unread (the connection is
 * dropped): an answer of gigabytes, or one that never ends, costs this much memory and no more time.
 * `cut` says the body went on past the cap; `failed` holds a read error, with what came before it kept.
 */
export async function readBodyCapped(
  response: Response,
  maxBytes: number,
): Promise<{ text: string; cut: boolean; failed?: unknown }> {
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = response.body?.getReader();
  if (!reader) return { text: '', cut: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  let failed: unknown;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = maxBytes - size;
      if (value.length > room) {
        chunks.push(value.subarray(0, room));
        cut = true;
        break;
      }
      chunks.push(value);
      size += value.length;
    }
  } catch (err) {
    failed = err;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  // A character cut at the cap decodes as U+FFFD; callers that cut by characters drop it anyway.
  const text = new TextDecoder().decode(Buffer.concat(chunks));
  return failed === undefined ? { text, cut } : { text, cut, failed };
}
