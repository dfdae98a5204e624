/** Times as batch tools print them in C's ctime format (run with TZ=UTC, so read as UTC). */

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Thu Dec  3 02:04:54 2026" (UTC) -> ms since the epoch; undefined when it is not such a time. */
export function ctimeUtcMs(text: string | undefined): number | undefined {
  const m = /^\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})/.exec(text?.trim() ?? '');
  const month = MONTHS.indexOf(m?.[1] ?? '');
  if (!m || month < 0) return undefined;
  return Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}
