package rules

import "fmt"

// AllowedRegion is the only region workloads run in (seed SCP: Region Restriction).
const AllowedRegion = "us-east-1"

// drTypes are what a provider in another region may create: replicas and
// backup copies (seed SCP: the DR region only for replication and backup copy).
var drTypes = map[string]bool{
	tBucketV2: true, tBucketVersioning: true, tBucketPAB: true, tBucketSSE: true, tBucketPolicy: true,
	tKMSKey: true, tKMSReplicaKey: true, tKMSAlias: true, tBackupVault: true,
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                 true,
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":   true,
	"aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2": true,
	"aws:backup/vaultLockConfiguration:VaultLockConfiguration":               true,
}

// statefulTypes hold data that a destroy or replacement would lose.
var statefulTypes = []string{
	tKMSKey, tKMSReplicaKey, tBucketV2, tBucketLegacy, tRDSInstance, tRDSCluster, tBackupVault,
	"aws:dynamodb/table:Table", "aws:efs/fileSystem:FileSystem",
}

var generalRules = []Rule{
	{
		ID:          "DS-GEN-001",
		Title:       "Resources live in us-east-1; another region only holds replicas and backup copies",
		HIPAA:       "§164.308(a)(1)(ii)(B)",
		Control:     "SCP Region Restriction: only us-east-1 allowed (data residency)",
		Level:       Mandatory,
		Remediation: "use the us-east-1 provider; keep the DR-region provider for replica buckets, replica keys and backup vaults",
		Stack: func(s *Stack) []Violation {
			var out []Violation
			for _, p := range s.OfType(tAWSProvider) {
				region := p.S("region")
				if region == AllowedRegion || p.Unknown("region") {
					continue
				}
				for _, r := range s.Resources {
					if r.Provider.URN == p.URN && !drTypes[r.Type] {
						out = append(out, Violation{r.URN, fmt.Sprintf("%s (%s) is created in %s through provider %s", r.Label(), r.Type, region, p.Label())})
					}
				}
			}
			return out
		},
	},
	{
		ID:          "DS-GEN-002",
		Title:       "Stateful resources in prod are protected from deletion",
		HIPAA:       hipaaContingency,
		Control:     "Disaster Recovery: data corruption, ransomware (restore from immutable backups)",
		Level:       Mandatory,
		Remediation: "set docustack:protectStatefulResources: true (pulumi.Protect on keys, buckets, databases, vaults)",
		Types:       statefulTypes,
		Resource: func(r Res) []string {
			if r.Env() == "prod" && !r.Options.Protect {
				return []string{r.Label() + " is not protected: pulumi destroy or a replacement would delete it"}
			}
			return nil
		},
	},
}
