/** EventSink over events.k8s.io/v1 (controller-runtime 0.24's GetEventRecorder API). */
import * as k8s from '@kubernetes/client-node';
import type { EventRecord, EventSeries, EventSink } from '../kube-api.js';
import { mergePatch } from './options.js';

export class KubeEventSink implements EventSink {
  readonly #api: k8s.EventsV1Api;

  constructor(kc: k8s.KubeConfig) {
    this.#api = kc.makeApiClient(k8s.EventsV1Api);
  }

  async create(e: EventRecord): Promise<void> {
    await this.#api.createNamespacedEvent({
      namespace: e.namespace,
      body: {
        metadata: { name: e.name, namespace: e.namespace },
        // The API server wants microseconds (kubernetes/kubernetes#94748): V1MicroTime prints them.
        eventTime: new k8s.V1MicroTime(e.eventTime),
        reportingController: e.reportingController,
        reportingInstance: e.reportingInstance,
        action: e.action,
        reason: e.reason,
        type: e.type,
        note: e.note,
        regarding: e.regarding,
      },
    });
  }

  async patchSeries(namespace: string, name: string, series: EventSeries): Promise<void> {
    await this.#api.patchNamespacedEvent(
      // lastObservedTime is already a MicroTime string (kube-api microTime()).
      { namespace, name, body: { series } },
      mergePatch,
    );
  }
}
