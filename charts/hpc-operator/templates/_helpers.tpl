{{/* Name of the chart's objects: the release name, with the chart name unless it already contains it. */}}
{{- define "hpc-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hpc-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hpc-operator
{{- end -}}

{{/* The manager pod's labels, selected by the Deployment, the metrics Service and the NetworkPolicy. */}}
{{- define "hpc-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end -}}

{{- define "hpc-operator.serviceAccountName" -}}
{{ include "hpc-operator.fullname" . }}
{{- end -}}

{{/* repository@digest when a digest is given (immutable: the tag is then ignored), else repository:tag. */}}
{{- define "hpc-operator.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/*
Topology spread of the replicas: as given, or with several replicas a soft spread over nodes (a standby on
the leader's node would fall with it); none with one replica.
*/}}
{{- define "hpc-operator.topologySpread" -}}
{{- if .Values.topologySpreadConstraints -}}
{{ toYaml .Values.topologySpreadConstraints }}
{{- else if gt (int .Values.replicas) 1 -}}
- maxSkew: 1
  topologyKey: kubernetes.io/hostname
  whenUnsatisfiable: ScheduleAnyway
  labelSelector:
    matchLabels:
      {{- include "hpc-operator.selectorLabels" . | nindent 6 }}
{{- end -}}
{{- end -}}

{{/* The Subject every binding names: the operator's ServiceAccount. */}}
{{- define "hpc-operator.subject" -}}
- kind: ServiceAccount
  name: {{ include "hpc-operator.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end -}}
