{{/* The chart name, overridable. */}}
{{- define "cloud-task-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name of the release's objects, at most 63 characters. */}}
{{- define "cloud-task-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cloud-task-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "cloud-task-exporter.labels" -}}
helm.sh/chart: {{ include "cloud-task-exporter.chart" . }}
{{ include "cloud-task-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels the Service and the StatefulSet select pods by. */}}
{{- define "cloud-task-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cloud-task-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "cloud-task-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cloud-task-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "cloud-task-exporter.secretName" -}}
{{- default (include "cloud-task-exporter.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* The exporter's config.yaml: the user's config plus state_file and shard. */}}
{{- define "cloud-task-exporter.config" -}}
{{- $config := deepCopy .Values.config }}
{{- if or (hasKey $config "state_file") (hasKey $config "shard") }}
{{- fail "config: leave out state_file and shard; the chart sets them from state.enabled and replicaCount" }}
{{- end }}
{{- if not $config.targets }}
{{- fail "config.targets: list at least one target (config.example.yaml shows every provider)" }}
{{- end }}
{{- if .Values.state.enabled }}
{{- $_ := set $config "state_file" "/var/lib/cloud-task-exporter/state.json" }}
{{- end }}
{{- if gt (int .Values.replicaCount) 1 }}
{{- $_ := set $config "shard" (dict "index" "${SHARD_INDEX}" "total" (int .Values.replicaCount)) }}
{{- end }}
{{- toYaml $config }}
{{- end }}
