// Validates ServiceMonitor and PrometheusRule objects (JSON lines on stdin) against the
// prometheus-operator CRD schemas, as compiled into the npm package
// @kubernetes-models/prometheus-operator (types, required fields, enums, patterns).
//
// CRD schemas do not forbid unknown fields (the API server prunes them silently), so a typo such
// as `scrapeTimout` would pass; this script also rejects every key that the package's type
// declarations (.d.ts, generated from the same CRDs) do not declare for that object, following
// nested types and `extends`. Keys inside maps (labels, annotations) and metadata beyond
// name/namespace/labels/annotations are not checked.
//
// Usage: node validate-crds.mjs NODE_PREFIX < objects.jsonl   (exit 1 on any problem)

import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { pathToFileURL } from "node:url";

const prefix = process.argv[2];
const pkg = path.join(prefix, "node_modules/@kubernetes-models/prometheus-operator");
const v1 = path.join(pkg, "monitoring.coreos.com/v1");
const models = await import(pathToFileURL(path.join(v1, "index.js")).href);

// interface name -> { file, fields: { name: { type, required } }, extends: [names] }
const cache = new Map();

function parseDts(file) {
  const text = fs.readFileSync(file, "utf8");
  const imports = {};
  for (const m of text.matchAll(/import \{ (\w+) \} from "\.\/([\w.]+)\.js";/g)) {
    imports[m[1]] = path.join(path.dirname(file), m[2] + ".d.ts");
  }
  const out = {};
  let current = null;
  for (const line of text.split("\n")) {
    const start = line.match(/^export interface (\w+)(?: extends ([\w, ]+))? \{/);
    if (start) {
      current = { file, imports, fields: {}, extends: start[2] ? start[2].split(",").map((s) => s.trim()) : [] };
      out[start[1]] = current;
      continue;
    }
    if (current && /^\}/.test(line)) {
      current = null;
      continue;
    }
    const field = current && line.match(/^ {4}"([^"]+)"(\?)?: (.+?);?$/);
    if (field) {
      const t = field[3].match(/^(?:Array<)?(I\w+)>?$/);
      current.fields[field[1]] = { type: t ? t[1] : null, required: !field[2] };
    }
  }
  // Types are imported under their long names: `export type { IRule as IComGithub...Rule }`.
  for (const m of text.matchAll(/export type \{ (\w+) as (\w+)/g)) {
    if (out[m[1]]) out[m[2]] = out[m[1]];
  }
  return out;
}

function iface(name, file) {
  const key = `${file}#${name}`;
  if (!cache.has(key)) {
    if (!fs.existsSync(file)) return null;
    const all = parseDts(file);
    for (const [n, v] of Object.entries(all)) cache.set(`${file}#${n}`, v);
    if (!cache.has(key)) return null;
  }
  return cache.get(key);
}

/** Every declared field of an interface, with the interface that declares its type. */
function fieldsOf(name, file) {
  const i = iface(name, file);
  if (!i) return null;
  const fields = {};
  for (const parent of i.extends) {
    const pfile = i.imports[parent];
    if (!pfile) continue; // TypeMeta and friends from other packages: apiVersion/kind.
    Object.assign(fields, fieldsOf(parent, pfile) ?? {});
  }
  for (const [f, d] of Object.entries(i.fields)) {
    fields[f] = { ...d, file: d.type ? i.imports[d.type] ?? null : null };
  }
  return fields;
}

const problems = [];

function strict(obj, name, file, where) {
  const fields = fieldsOf(name, file);
  if (!fields || obj === null || typeof obj !== "object") return;
  for (const [k, v] of Object.entries(obj)) {
    if (!(k in fields)) {
      problems.push(`${where}.${k}: not a field of ${name.replace(/^I(ComGithubPrometheusOperatorPrometheusOperatorPkgApisMonitoringV1)?/, "")}`);
      continue;
    }
    const f = fields[k];
    if (!f.type || !f.file) continue;
    for (const [i, item] of (Array.isArray(v) ? v : [v]).entries()) {
      strict(item, f.type, f.file, Array.isArray(v) ? `${where}.${k}[${i}]` : `${where}.${k}`);
    }
  }
}

const META = new Set(["name", "namespace", "labels", "annotations"]);
let count = 0;
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const doc = JSON.parse(line);
  const Model = models[doc.kind];
  const where = `${doc.kind}/${doc.metadata?.name}`;
  if (doc.apiVersion !== "monitoring.coreos.com/v1" || !Model) {
    problems.push(`${where}: not a monitoring.coreos.com/v1 kind this script knows (${doc.apiVersion})`);
    continue;
  }
  try {
    new Model(doc).validate();
  } catch (e) {
    problems.push(`${where}: ${e.message}`);
  }
  for (const k of Object.keys(doc)) {
    if (!["apiVersion", "kind", "metadata", "spec"].includes(k)) problems.push(`${where}: unknown top-level key ${k}`);
  }
  for (const k of Object.keys(doc.metadata ?? {})) {
    if (!META.has(k)) problems.push(`${where}.metadata.${k}: not checked here; use one of ${[...META].join(", ")}`);
  }
  strict(doc.spec, `I${doc.kind}Spec`, path.join(v1, `${doc.kind}Spec.d.ts`), `${where}.spec`);
  count++;
}
if (problems.length) {
  for (const p of problems) console.log(`ERROR ${p}`);
  process.exit(1);
}
console.log(`${count} prometheus-operator objects valid (CRD schema and declared fields)`);
