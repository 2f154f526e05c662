// Generates internal/awsspec/data/tf.json: the input schema of every
// Terraform AWS provider resource named in tf_types.json, as packaged by the
// npm package @cdktf/provider-aws (MPL-2.0), whose jsii assembly (.jsii) is
// generated from `terraform providers schema -json` of the provider version
// its README names.
//
// For each resource type: its arguments, each either an attribute (a value:
// string, number, bool, or a list or map of them) or a nested block, with the
// block's nesting: "single" (MaxItems 1: the jsii type is one struct) or
// "list" (the jsii type is an array of structs). An attribute is 1; a block
// the assembly leaves untyped ("any": wafv2's recursive statements) is 2. The Terraform name of each
// argument is the anchor of its registry link in the assembly's docs, which
// is the schema's own name; the jsii property name is never used for it.
//
// Run through `make awsspec`: node internal/awsspec/gen/tf.mjs <@cdktf/provider-aws package dir>
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const spec = path.resolve(here, '..');
const [pkgDir] = process.argv.slice(2);
if (!pkgDir) {
  console.error('usage: node tf.mjs <@cdktf/provider-aws dir>');
  process.exit(2);
}
const readJSON = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const sorted = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));

const pkg = readJSON(path.join(pkgDir, 'package.json'));
const readme = fs.readFileSync(path.join(pkgDir, 'README.md'), 'utf8');
const providerVersion = (readme.match(/hashicorp\/aws provider version (\d+\.\d+\.\d+)/) || [])[1];
if (!providerVersion) throw new Error('gen: the package README names no hashicorp/aws provider version');
const jsii = readJSON(path.join(pkgDir, '.jsii'));

// Resource classes: "Represents a {@link .../docs/resources/<x> aws_<x>}".
const classes = {};
for (const [fqn, t] of Object.entries(jsii.types)) {
  if (t.kind !== 'class' || t.base !== 'cdktf.TerraformResource') continue;
  const m = (t.docs?.summary || '').match(/\/docs\/resources\/[a-z0-9_]+ (aws_[a-z0-9_]+)\}/);
  if (!m) continue;
  const cfg = t.initializer?.parameters?.[2]?.type?.fqn;
  if (!cfg) throw new Error(`gen: ${fqn} has no config parameter`);
  classes[m[1]] = cfg;
}

// The argument's Terraform name: the anchor of its registry link.
function tfName(p) {
  const text = `${p.docs?.summary || ''} ${p.docs?.remarks || ''}`;
  const m = text.match(/#([a-z0-9_]+) [A-Za-z0-9]+#[a-z0-9_]+\}/);
  if (!m) throw new Error(`gen: no Terraform name in the docs of ${p.name}`);
  return m[1];
}

const isStruct = (ref) => ref?.fqn && jsii.types[ref.fqn]?.kind === 'interface' && jsii.types[ref.fqn].datatype;

function schema(fqn, depth) {
  if (depth > 12) throw new Error(`gen: ${fqn} nests deeper than 12`);
  const out = {};
  for (const p of jsii.types[fqn].properties || []) {
    const name = tfName(p);
    const ty = p.type;
    const members = ty.union ? ty.union.types : [ty];
    const single = members.find(isStruct);
    const list = members.find((m) => m.collection?.kind === 'array' && isStruct(m.collection.elementtype));
    if (single) out[name] = { nesting: 'single', attributes: schema(single.fqn, depth + 1) };
    else if (list) out[name] = { nesting: 'list', attributes: schema(list.collection.elementtype.fqn, depth + 1) };
    // An argument the assembly types as "any" is a block too deep for jsii
    // (wafv2's nested statements): its inside is not typed here.
    else if (members.some((m) => m.primitive === 'any')) out[name] = 2;
    else out[name] = 1;
  }
  return sorted(out);
}

const tfOf = (v) => (typeof v === 'string' ? v : v?.tf);
const wanted = [...new Set(Object.values(readJSON(path.join(spec, 'tf_types.json'))).map(tfOf).filter((v) => typeof v === 'string' && v.startsWith('aws_')))].sort();
const types = {};
for (const t of wanted) {
  if (!classes[t]) throw new Error(`gen: ${t} is not a resource of hashicorp/aws ${providerVersion}`);
  types[t] = schema(classes[t], 0);
}
fs.writeFileSync(path.join(spec, 'data', 'tf.json'), JSON.stringify({
  source: 'Terraform AWS provider schema via npm @cdktf/provider-aws (MPL-2.0)',
  version: pkg.version,
  provider: `registry.terraform.io/hashicorp/aws ${providerVersion}`,
  types: sorted(types),
}) + '\n');
console.error(`gen: ${wanted.length} Terraform resource types of hashicorp/aws ${providerVersion}`);
