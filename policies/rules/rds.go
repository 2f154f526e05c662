package rules

import "fmt"

// Backup retention floors (seed, Backup Strategy: RDS automated snapshots
// daily, 7 days; 35 days in prod).
const (
	minBackupRetentionDays  = 7
	prodBackupRetentionDays = 35
)

var databaseTypes = []string{tRDSInstance, tRDSCluster}

// isAuroraInstance reports whether an RDS instance belongs to a cluster,
// whose settings then live on the cluster.
func isAuroraInstance(r Res) bool { return r.Has("clusterIdentifier") }

var rdsRules = []Rule{
	{
		ID:          "DS-RDS-001",
		Title:       "Databases encrypt storage with a customer managed key",
		HIPAA:       hipaaEncryption,
		Control:     "Encryption at rest: RDS PostgreSQL AES-256, CMK; Config rule rds-storage-encrypted",
		Level:       Mandatory,
		Remediation: "set storageEncrypted: true and kmsKeyId to the database CMK",
		Types:       databaseTypes,
		Resource: func(r Res) []string {
			if r.Type == tRDSInstance && isAuroraInstance(r) {
				return nil
			}
			var out []string
			if on, known := r.Bool("storageEncrypted"); known && !on {
				out = append(out, r.Label()+" does not encrypt its storage")
			}
			if !r.Has("kmsKeyId") {
				out = append(out, r.Label()+" has no kmsKeyId: storage would use the AWS managed key")
			}
			return out
		},
	},
	{
		ID:          "DS-RDS-002",
		Title:       "Databases force TLS (rds.force_ssl=1)",
		HIPAA:       hipaaTransmission,
		Control:     "Encryption in transit: ECS to RDS TLS 1.2, forced via rds.force_ssl=1",
		Level:       Mandatory,
		Remediation: "attach a (cluster) parameter group with parameter rds.force_ssl = 1",
		Stack: func(s *Stack) []Violation {
			var out []Violation
			check := func(db Res, prop string, groupTypes ...string) {
				if db.Type == tRDSInstance && isAuroraInstance(db) {
					return
				}
				if db.Unknown(prop) && len(db.PropertyDependencies[prop]) == 0 {
					return
				}
				for _, g := range s.OfType(groupTypes...) {
					if !s.Refers(db, prop, g) {
						continue
					}
					for i := 0; i < g.Len("parameters"); i++ {
						p := fmt.Sprintf("parameters.%d", i)
						if g.S(p+".name") == "rds.force_ssl" && g.S(p+".value") == "1" {
							return
						}
					}
					out = append(out, Violation{db.URN, fmt.Sprintf("%s's parameter group %s does not set rds.force_ssl=1", db.Label(), g.Label())})
					return
				}
				out = append(out, Violation{db.URN, db.Label() + " uses a default parameter group, which does not force TLS"})
			}
			for _, db := range s.OfType(tRDSInstance) {
				check(db, "parameterGroupName", tRDSParamGroup)
			}
			for _, db := range s.OfType(tRDSCluster) {
				check(db, "dbClusterParameterGroupName", tRDSClusterParams)
			}
			return out
		},
	},
	{
		ID:          "DS-RDS-003",
		Title:       "Databases keep automated backups 7 days (35 in prod)",
		HIPAA:       hipaaContingency,
		Control:     "Backup Strategy: RDS automated snapshots daily, 7 days (35 days prod); RPO 1 hour",
		Level:       Mandatory,
		Remediation: "set backupRetentionPeriod to at least 7 (35 in prod)",
		Types:       databaseTypes,
		Resource: func(r Res) []string {
			if r.Type == tRDSInstance && isAuroraInstance(r) || r.Unknown("backupRetentionPeriod") {
				return nil
			}
			want := minBackupRetentionDays
			if r.Env() == "prod" {
				want = prodBackupRetentionDays
			}
			days, _ := r.Num("backupRetentionPeriod")
			if int(days) < want {
				return []string{fmt.Sprintf("%s keeps backups %d days, want at least %d", r.Label(), int(days), want)}
			}
			return nil
		},
	},
	{
		ID:          "DS-RDS-004",
		Title:       "Databases are not publicly accessible",
		HIPAA:       hipaaAccess,
		Control:     "Network Security: Database Subnets (Isolated), no internet access",
		Level:       Mandatory,
		Remediation: "set publiclyAccessible: false",
		Types:       []string{tRDSInstance, tRDSClusterInstance},
		Resource: func(r Res) []string {
			if on, _ := r.Bool("publiclyAccessible"); on {
				return []string{r.Label() + " is publicly accessible"}
			}
			return nil
		},
	},
	{
		ID:          "DS-RDS-005",
		Title:       "Master passwords are managed by RDS, never held in configuration or state",
		HIPAA:       hipaaAccess,
		Control:     "Encryption at rest: Secrets Manager; no secrets in stack files",
		Level:       Mandatory,
		Remediation: "remove password/masterPassword and set manageMasterUserPassword: true",
		Types:       databaseTypes,
		Resource: func(r Res) []string {
			if r.Type == tRDSInstance && isAuroraInstance(r) {
				return nil
			}
			for _, f := range []string{"password", "masterPassword", "passwordWo", "masterPasswordWo"} {
				if r.Has(f) {
					return []string{fmt.Sprintf("%s sets %s: the password would live in configuration and state", r.Label(), f)}
				}
			}
			if on, known := r.Bool("manageMasterUserPassword"); known && !on && !r.Has("snapshotIdentifier") && !r.Has("replicateSourceDb") {
				return []string{r.Label() + " does not let RDS manage the master password (manageMasterUserPassword)"}
			}
			return nil
		},
	},
	{
		ID:          "DS-RDS-006",
		Title:       "Production databases have deletion protection",
		HIPAA:       hipaaContingency,
		Control:     "Disaster Recovery: data corruption / ransomware",
		Level:       Mandatory,
		Remediation: "set deletionProtection: true (stack config docustack:deletionProtection)",
		Types:       databaseTypes,
		Resource: func(r Res) []string {
			if r.Env() != "prod" || r.Type == tRDSInstance && isAuroraInstance(r) {
				return nil
			}
			if on, known := r.Bool("deletionProtection"); known && !on {
				return []string{r.Label() + " can be deleted: deletionProtection is off"}
			}
			return nil
		},
	},
}
