/** Assembles the CustomResourceDefinitions from the schemas in this folder. */
import { GROUP, VERSION } from './common.js';
import {
  HPCJOB_KIND,
  HPCJOB_PLURAL,
  hpcJobPrinterColumns,
  hpcJobSpecSchema,
  hpcJobStatusSchema,
} from './hpcjob.js';
import {
  HPCJOBSET_KIND,
  HPCJOBSET_PLURAL,
  hpcJobSetPrinterColumns,
  hpcJobSetSpecSchema,
  hpcJobSetStatusSchema,
} from './hpcjobset.js';
import type { JSONSchemaProps, ValidationRule } from './schema.js';
import {
  VIRTUALCLUSTER_KIND,
  VIRTUALCLUSTER_PLURAL,
  virtualClusterPrinterColumns,
  virtualClusterSpecSchema,
  virtualClusterStatusSchema,
} from './virtualcluster.js';

interface CRDInput {
  kind: string;
  plural: string;
  shortNames: string[];
  description: string;
  spec: JSONSchemaProps;
  status: JSONSchemaProps;
  rootRules: ValidationRule[];
  printerColumns: readonly Record<string, unknown>[];
}

function crd(i: CRDInput) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${i.plural}.${GROUP}`,
      annotations: { [`${GROUP}/generated-from`]: 'src/crds (make manifests)' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: i.kind,
        listKind: `${i.kind}List`,
        plural: i.plural,
        singular: i.kind.toLowerCase(),
        shortNames: i.shortNames,
        categories: ['hpc'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: i.printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: i.description,
              required: ['spec'],
              properties: {
                apiVersion: {
                  type: 'string',
                  description: 'Versioned schema of this representation of an object.',
                },
                kind: { type: 'string', description: 'REST resource this object represents.' },
                metadata: { type: 'object' },
                spec: i.spec,
                status: i.status,
              },
              'x-kubernetes-validations': i.rootRules,
            },
          },
        },
      ],
    },
  };
}

export const hpcJobCRD = crd({
  kind: HPCJOB_KIND,
  plural: HPCJOB_PLURAL,
  shortNames: ['hpcj'],
  description:
    'HPCJob is one workflow step run on an HPC facility through HTCondor. The operator submits it, tracks it, retries it by its retryPolicy and reports every attempt in status.',
  spec: hpcJobSpecSchema.json,
  status: hpcJobStatusSchema.json,
  rootRules: [
    {
      rule: 'self.metadata.name.size() <= 63',
      message: 'metadata.name must be at most 63 characters (it is used in HTCondor batch names and labels)',
    },
  ],
  printerColumns: hpcJobPrinterColumns,
});

export const virtualClusterCRD = crd({
  kind: VIRTUALCLUSTER_KIND,
  plural: VIRTUALCLUSTER_PLURAL,
  shortNames: ['vc', 'vcluster'],
  description:
    'VirtualCluster grows an HTCondor pool onto HPC allocations: the operator sends pilot jobs over SSH to each allocation batch system and reports the workers they provide.',
  spec: virtualClusterSpecSchema.json,
  status: virtualClusterStatusSchema.json,
  rootRules: [
    {
      rule: 'self.metadata.name.size() <= 40',
      message: 'metadata.name must be at most 40 characters (pilot batch job names carry it)',
    },
  ],
  printerColumns: virtualClusterPrinterColumns,
});

export const hpcJobSetCRD = crd({
  kind: HPCJOBSET_KIND,
  plural: HPCJOBSET_PLURAL,
  shortNames: ['hpcjs'],
  description:
    'HPCJobSet runs N similar steps (a sweep) from one HPCJob template: a count or a list of items, each index an HTCondor proc with HPC_INDEX (and HPC_ITEM_<KEY>) in its environment, retried on its own by the template retryPolicy. Status is compressed: counts, index ranges, and attempt records only for indices that failed.',
  spec: hpcJobSetSpecSchema.json,
  status: hpcJobSetStatusSchema.json,
  rootRules: [
    {
      rule: 'self.metadata.name.size() <= 63',
      message: 'metadata.name must be at most 63 characters (it is used in HTCondor batch names)',
    },
  ],
  printerColumns: hpcJobSetPrinterColumns,
});

export const allCRDs = [hpcJobCRD, virtualClusterCRD, hpcJobSetCRD];
