/**
 * The validating admission webhook's HTTP side (admission.k8s.io/v1 AdmissionReview): read the review, let
 * review.ts judge the object, look up what it names (each lookup bounded, so that the answer comes well within
 * the webhook's timeoutSeconds), and answer allowed or denied with the messages and warnings.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { HPCJob } from '../crds/hpcjob.js';
import type { HPCJobSet } from '../crds/hpcjobset.js';
import type { VirtualCluster } from '../crds/virtualcluster.js';
import type { RouteHandler } from '../serving/server.js';
import {
  reviewHPCJob,
  reviewVirtualCluster,
  type Found,
  type Reference,
  type ReviewSettings,
  type Verdict,
} from './review.js';
import { reviewHPCJobSet } from './set-review.js';

/** Where the API server sends the reviews (the ValidatingWebhookConfiguration's paths). */
export const WEBHOOK_PATHS = {
  HPCJob: '/validate-hpcjob',
  HPCJobSet: '/validate-hpcjobset',
  VirtualCluster: '/validate-virtualcluster',
} as const;

/** The largest review read: an HPCJob or HPCJobSet is at most about 1.5 MB, and a review may carry it twice. */
export const MAX_REVIEW_BYTES = 8 * 1024 * 1024;
/** How long the lookups of one review may take: well within the webhook's timeoutSeconds (5). */
export const LOOKUP_BUDGET_MS = 2_000;
/** The API server may cut longer warnings. */
const MAX_WARNING = 256;

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  namespace?: string;
  name?: string;
  operation?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
}

export interface AdmissionDeps {
  settings: ReviewSettings;
  lookup: (ref: Reference) => Promise<Found>;
  log: Logger;
}

type Kind = keyof typeof WEBHOOK_PATHS;

/** Judges one request: denied with the problems, allowed with warnings, or allowed. */
export async function admit(
  kind: Kind,
  req: AdmissionRequest,
  deps: AdmissionDeps,
): Promise<AdmissionResponse> {
  const uid = req.uid;
  if (req.kind?.kind !== kind) return { uid, allowed: true, warnings: [`not a ${kind}: not reviewed`] };
  if ((req.operation !== 'CREATE' && req.operation !== 'UPDATE') || !isObject(req.object))
    return { uid, allowed: true };
  const verdict = verdictOf(kind, req, deps.settings);
  const warnings = await warningsOf(verdict, deps.lookup);
  const response: AdmissionResponse = { uid, allowed: verdict.denials.length === 0 };
  if (verdict.denials.length > 0)
    response.status = { code: 422, reason: 'Invalid', message: verdict.denials.join('; ') };
  if (warnings.length > 0) response.warnings = warnings;
  return response;
}

function verdictOf(kind: Kind, req: AdmissionRequest, settings: ReviewSettings): Verdict {
  const old = isObject(req.oldObject) ? req.oldObject : undefined;
  switch (kind) {
    case 'HPCJob':
      return reviewHPCJob(req.object as HPCJob, old as HPCJob | undefined, settings);
    case 'HPCJobSet':
      return reviewHPCJobSet(req.object as HPCJobSet, old as HPCJobSet | undefined, settings);
    case 'VirtualCluster':
      return reviewVirtualCluster(req.object as VirtualCluster, old as VirtualCluster | undefined);
  }
}

/**
 * The verdict's own warnings, then every reference looked up at once, each within the budget (unknown after
 * it), and the warnings of what was found.
 */
async function warningsOf(
  { references: refs, warnings: own = [] }: Verdict,
  lookup: (ref: Reference) => Promise<Found>,
): Promise<string[]> {
  const timeout = (): Promise<Found> =>
    new Promise((resolve) => setTimeout(() => resolve({ state: 'unknown' }), LOOKUP_BUDGET_MS).unref());
  const found = await Promise.all(
    refs.map((r) => Promise.race([lookup(r).catch((): Found => ({ state: 'unknown' })), timeout()])),
  );
  const warnings = [...own, ...refs.map((r, i) => r.warning(found[i] as Found))].filter(
    (w): w is string => !!w,
  );
  return [...new Set(warnings)].map((w) =>
    w.length > MAX_WARNING ? `${w.slice(0, MAX_WARNING - 3)}...` : w,
  );
}

const isObject = (v: unknown): v is { metadata: { name: string; namespace?: string } } =>
  typeof v === 'object' && v !== null && 'metadata' in v;

/** The route: POST of an AdmissionReview, answered with one. */
export function admissionHandler(kind: Kind, deps: AdmissionDeps): RouteHandler {
  return async (req, res) => {
    if (req.method !== 'POST') return reply(res, 405, 'POST an AdmissionReview\n');
    const body = await readBody(req);
    if (body === undefined) return reply(res, 413, 'review too large\n');
    let review: { apiVersion?: string; request?: AdmissionRequest };
    try {
      review = JSON.parse(body) as typeof review;
    } catch {
      return reply(res, 400, 'not JSON\n');
    }
    const request = review.request;
    if (!request || typeof request.uid !== 'string') return reply(res, 400, 'no request.uid\n');
    const response = await admit(kind, request, deps);
    logVerdict(deps.log, kind, request, response);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
  };
}

function logVerdict(log: Logger, kind: Kind, req: AdmissionRequest, r: AdmissionResponse): void {
  const fields = {
    object: `${req.namespace ?? ''}/${req.name ?? ''}`,
    kind,
    operation: req.operation,
    dryRun: req.dryRun === true,
    ...(r.warnings ? { warnings: r.warnings } : {}),
  };
  if (r.allowed) log.debug(fields, 'admission: allowed');
  else log.info({ ...fields, denied: r.status?.message }, 'admission: denied');
}

function reply(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

/** The request body as text, or undefined past MAX_REVIEW_BYTES. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REVIEW_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
