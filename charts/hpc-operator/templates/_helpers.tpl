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

{{- define "hpc-operator.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The Subject every binding names: the operator's ServiceAccount. */}}
{{- define "hpc-operator.subject" -}}
- kind: ServiceAccount
  name: {{ include "hpc-operator.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end -}}
