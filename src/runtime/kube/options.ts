/**
 * Per-request options for client-node's generated APIs: a Content-Type header (custom-object patches default
 * to JSON Patch unless told otherwise, kubernetes-client/javascript#2434) and an AbortSignal that cancels the
 * request (client-node's generated APIs, 1.4 and 2.0, have no request timeout of their own).
 */
import * as k8s from '@kubernetes/client-node';

export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** `base` plus a middleware that hands `signal` to the request; `base` alone when there is no signal. */
export function withSignal(
  signal: AbortSignal | undefined,
  base?: k8s.ConfigurationOptions,
): k8s.ConfigurationOptions | undefined {
  if (!signal) return base;
  const abortable: k8s.ObservableMiddleware = {
    pre: (request) => {
      request.setSignal(signal);
      return new k8s.Observable(Promise.resolve(request));
    },
    post: (response) => new k8s.Observable(Promise.resolve(response)),
  };
  return {
    ...base,
    middleware: [...(base?.middleware ?? []), abortable],
    middlewareMergeStrategy: 'append',
  };
}
