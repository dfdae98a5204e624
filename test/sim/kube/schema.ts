/**
 * What the real API server does to a custom resource on the way in, as far as the model needs it: a JSON
 * merge patch (RFC 7386: objects merge key by key, null deletes a key, anything else replaces; so a key the
 * writer leaves out keeps its old value), structural defaults, and validation against the CRD schema
 * (test/unit/crd-validate.ts) with 422 on failure. Unknown fields, which the real server prunes silently,
 * are let through.
 */
import { ApiError, type KubeObject } from '../../../src/runtime/kube-api.js';
import { validateManifest, validateStatus } from '../../unit/crd-validate.js';

export { applyMergePatch as mergePatch } from '../../support/merge-patch.js';

/** 422 when the object's status is invalid (a status write changes nothing else, so nothing else is checked). */
export function admitStatus<T extends KubeObject>(obj: T): void {
  const errors = (validateStatus(Object.fromEntries(Object.entries(obj))) ?? []).filter(
    (e) => !e.endsWith('unknown field'),
  );
  if (errors.length)
    throw new ApiError(
      422,
      `${obj.kind ?? 'object'} "${obj.metadata.name}" is invalid: ${errors.slice(0, 5).join('; ')}`,
    );
}

/** The object with its schema defaults applied; 422 when it is invalid. */
export function admit<T extends KubeObject>(obj: T): T {
  const r = validateManifest(Object.fromEntries(Object.entries(obj)));
  if (!r) return obj;
  const errors = r.errors.filter((e) => !e.endsWith('unknown field'));
  if (errors.length)
    throw new ApiError(
      422,
      `${obj.kind ?? 'object'} "${obj.metadata.name}" is invalid: ${errors.slice(0, 5).join('; ')}`,
    );
  // The defaulted copy of `obj`: the same kind with more fields set.
  return r.defaulted as T;
}
