package verify

import (
	"fmt"
	"strings"
)

// backupIntents: AWS Backup runs each selection's jobs with the selection's
// role. For an RDS instance (a resource type AWS Backup does not fully
// manage) the recovery point is an RDS snapshot named "awsbackup:job-..."
// encrypted with the instance's own key; a copy to another Region is an RDS
// CopyDBSnapshot made in the destination Region, re-encrypted with the
// destination vault's key, for which the caller needs kms:CreateGrant and
// kms:DescribeKey on that key (RDS then uses the grant).
// https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html
// https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html
// https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html
func (w *world) backupIntents() []AccessIntent {
	vaults := map[string]string{} // vault ARN -> KMS key ARN
	for _, v := range w.plan.ByType("aws:backup/vault:Vault") {
		arn, _ := v.Outputs["arn"].(string)
		vaults[arn] = v.Str("kmsKeyArn")
	}
	dbKeys := map[string]string{} // instance ARN -> KMS key ARN
	for _, db := range w.plan.ByType("aws:rds/instance:Instance") {
		dbKeys[fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", w.region, w.account, db.Str("identifier"))] = db.Str("kmsKeyId")
	}
	var out []AccessIntent
	for _, sel := range w.plan.ByType("aws:backup/selection:Selection") {
		roleArn := sel.Str("iamRoleArn")
		p, idPol := w.asRole(roleArn)
		name := "backup selection " + sel.Str("name")
		if ro, ok := w.roles[roleArn]; ok {
			trust := ro.trust
			out = append(out, AccessIntent{Name: name + ": AWS Backup assumes its role", Want: true,
				pol:     policies{resource: &trust, resName: "trust", resourceAccount: w.account},
				Request: Request{Principal: svc("backup.amazonaws.com"), Action: "sts:AssumeRole", Resource: roleArn}})
		}
		add := func(what, action, resource, region string, pol policies, extra map[string][]string) {
			ctx := map[string][]string{"aws:RequestedRegion": {region}}
			for k, v := range extra {
				ctx[k] = v
			}
			pol.identity = idPol.identity
			out = append(out, AccessIntent{Name: name + ": " + what, Want: true, pol: pol,
				Request: Request{Principal: p, Action: action, Resource: resource, Context: tls(ctx)}})
		}
		plan, found := w.plan.ByID(sel.Str("planId"))
		if !found {
			out = append(out, AccessIntent{Name: name + ": belongs to a backup plan of this plan", Want: true, pol: policies{resName: "none"},
				Request: Request{Principal: p, Action: "backup:StartBackupJob", Resource: sel.Str("planId")}})
			continue
		}
		for _, db := range strs(sel.Get("resources")) {
			if _, isDB := dbKeys[db]; !isDB {
				out = append(out, AccessIntent{Name: name + ": selects only database instances of this plan", Want: true, pol: policies{resName: "none"},
					Request: Request{Principal: p, Action: "backup:StartBackupJob", Resource: db}})
				continue
			}
			snapshot := fmt.Sprintf("arn:aws:rds:%s:%s:snapshot:awsbackup:job-0123456789abcdef", w.region, w.account)
			add("describes the instance", "rds:DescribeDBInstances", db, w.region, idPol, nil)
			add("snapshots the instance", "rds:CreateDBSnapshot", db, w.region, idPol, nil)
			add("names the snapshot", "rds:CreateDBSnapshot", snapshot, w.region, idPol, nil)
			add("tags the snapshot", "rds:AddTagsToResource", snapshot, w.region, idPol, nil)
			add("keeps point-in-time recovery on", "rds:ModifyDBInstance", db, w.region, idPol, nil)
			add("expires the snapshot", "rds:DeleteDBSnapshot", snapshot, w.region, idPol, nil)
			add("reads the instance's key", "kms:DescribeKey", dbKeys[db], w.region, w.key(dbKeys[db]), nil)
			for _, rule := range asList(plan.Get("rules")) {
				target := fmt.Sprintf("arn:aws:backup:%s:%s:backup-vault:%s", w.region, w.account, str(rule["targetVaultName"]))
				add("tags its recovery points", "backup:TagResource", fmt.Sprintf("arn:aws:backup:%s:%s:recovery-point:awsbackup:job-0123456789abcdef", w.region, w.account), w.region, idPol, nil)
				for _, c := range asList(rule["copyActions"]) {
					dst := str(c["destinationVaultArn"])
					region := strings.Split(dst, ":")[3]
					key, known := vaults[dst]
					if !known {
						out = append(out, AccessIntent{Name: name + ": copies into a vault of this plan", Want: true, pol: policies{resName: "none"},
							Request: Request{Principal: p, Action: "backup:CopyIntoBackupVault", Resource: dst}})
						continue
					}
					copyOf := fmt.Sprintf("arn:aws:rds:%s:%s:snapshot:awsbackup:copyjob-0123456789abcdef", region, w.account)
					add("copies out of "+str(rule["targetVaultName"]), "backup:CopyFromBackupVault", target, w.region, idPol, nil)
					add("copies into "+dst, "backup:CopyIntoBackupVault", dst, region, idPol, nil)
					add("copies the snapshot in "+region, "rds:CopyDBSnapshot", snapshot, region, idPol, nil)
					add("creates the copy in "+region, "rds:CopyDBSnapshot", copyOf, region, idPol, nil)
					add("tags the copy in "+region, "rds:AddTagsToResource", copyOf, region, idPol, nil)
					add("expires the copy in "+region, "rds:DeleteDBSnapshot", copyOf, region, idPol, nil)
					add("reads the destination vault's key", "kms:DescribeKey", key, region, w.key(key), nil)
					add("lets RDS re-encrypt the copy with the destination vault's key", "kms:CreateGrant", key, region, w.key(key),
						map[string][]string{"kms:GrantIsForAWSResource": {"true"}, "kms:ViaService": {"rds." + region + ".amazonaws.com"}})
				}
			}
		}
	}
	// Nobody outside the account copies into (or out of) its vaults: a vault
	// without an access policy admits only its own account.
	for arn := range vaults {
		intruder := Principal{ARN: "arn:aws:iam::" + otherAccount + ":role/intruder", Account: otherAccount}
		out = append(out, AccessIntent{Name: "backup vault " + arn + ": another account cannot copy into it", Want: false,
			pol:     policies{identity: []Document{adminAccess()}, resName: "vault " + arn, resourceAccount: w.account},
			Request: Request{Principal: intruder, Action: "backup:CopyIntoBackupVault", Resource: arn, Context: tls(nil)}})
	}
	return out
}
