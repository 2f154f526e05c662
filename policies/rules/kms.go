package rules

var kmsRules = []Rule{{
	ID:          "DS-KMS-001",
	Title:       "Customer managed KMS keys rotate automatically",
	HIPAA:       hipaaEncryption,
	Control:     "Encryption at rest: Customer Managed Key (CMK)",
	Level:       Mandatory,
	Remediation: "set enableKeyRotation: true on the key",
	Types:       []string{tKMSKey},
	Resource: func(r Res) []string {
		if r.Unknown("enableKeyRotation") {
			return nil
		}
		if on, _ := r.Bool("enableKeyRotation"); !on {
			return []string{r.Label() + " does not rotate (enableKeyRotation is off or absent)"}
		}
		return nil
	},
}}
