/** What an error says, for a person: its message, or the thrown value itself when it is not an Error. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
