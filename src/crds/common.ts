/** Shapes shared by both custom resources. */
import { arr, dateTime, enumOf, int, obj, str, type Infer } from './schema.js';

export const GROUP = 'hpc.scailfin.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The part of a namespaced object's metadata the operator reads (both kinds). */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** metav1.Condition, field for field, with the API machinery's own validation. */
export const conditionSchema = obj(
  {
    type: str({
      description: 'Type of condition in CamelCase, e.g. Submitted or CredentialsValid.',
      pattern:
        '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      maxLength: 316,
    }),
    status: enumOf(['True', 'False', 'Unknown'] as const, { description: 'Status of the condition.' }),
    observedGeneration: int({
      description:
        'The .metadata.generation the condition was set from; older than the current generation means stale.',
      minimum: 0,
      format: 'int64',
    }),
    lastTransitionTime: dateTime({
      description: 'When the condition last changed status (not when it was last written).',
    }),
    reason: str({
      description: 'Programmatic CamelCase identifier of the reason for the last transition.',
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      minLength: 1,
      maxLength: 1024,
    }),
    message: str({ description: 'Human-readable details of the last transition.', maxLength: 32768 }),
  },
  {
    description: 'A condition in the standard Kubernetes (metav1.Condition) shape.',
    required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  },
);
export type Condition = Infer<typeof conditionSchema>;

export const conditionsSchema = arr(conditionSchema, {
  description: 'Latest observations of the object, one per type.',
  listType: 'map',
  listMapKeys: ['type'],
  maxItems: 32,
});

/**
 * A duration such as `90s`, `15m`, `2h` or `1h30m` (also `1d`). At most 7 digits before the point keep every
 * duration the 32 characters allow a finite number of milliseconds and a valid date when added to now.
 */
export const DURATION_PATTERN = '^([0-9]{1,7}(\\.[0-9]{1,9})?(ms|s|m|h|d))+$';

export function duration(description: string, dflt?: string) {
  return str({ description, pattern: DURATION_PATTERN, maxLength: 32, ...(dflt ? { default: dflt } : {}) });
}

/** A reference to an object by name in the same namespace. */
export const localRefSchema = obj(
  {
    name: str({
      description: 'Name of the object in the same namespace.',
      pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
      maxLength: 253,
    }),
  },
  { description: 'A reference to an object in the same namespace.', required: ['name'] },
);

/** A key of a Secret in the same namespace. */
export function secretKeyRef(description: string, defaultKey: string) {
  return obj(
    {
      name: str({
        description: 'Name of the Secret in the same namespace.',
        pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
        maxLength: 253,
      }),
      key: str({
        description: `Key in the Secret's data (default ${defaultKey}).`,
        pattern: '^[-._a-zA-Z0-9]+$',
        maxLength: 253,
        default: defaultKey,
      }),
    },
    { description, required: ['name'] },
  );
}
