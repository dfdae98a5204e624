/**
 * A JSON merge patch (RFC 7386) applied as the API server applies it to /status: objects merge key by key,
 * null deletes a key, anything else (arrays included) replaces. Used by the in-memory API server of the
 * simulation and by the fakes of unit tests, so that both treat the operator's writes as the real one does.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
