package components_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Issue 13, item 4: every database client starts after DB-init has created
// its role, and every Temporal client after the frontend's Service Connect
// service exists (ECS: tasks started before an endpoint exists cannot
// resolve it until they are redeployed).
func TestServicesWaitForWhatTheyNeed(t *testing.T) {
	for _, c := range []struct{ stack, frontend string }{
		{"dev", "temporal-combined-service"},
		{"prod", "temporal-frontend-service"},
	} {
		p := stackPlan(t, c.stack)
		dbInit := mustNamed(t, p, "db-init-invocation").URN
		frontend := mustNamed(t, p, c.frontend).URN
		for _, svc := range []string{"web-service", "workers-service", "slack-bot-service", c.frontend} {
			assert.Contains(t, mustNamed(t, p, svc).Dependencies, dbInit, "%s %s waits for DB-init's invocation", c.stack, svc)
		}
		for _, svc := range []string{"web-service", "workers-service", "slack-bot-service", "temporal-ui-service"} {
			assert.Contains(t, mustNamed(t, p, svc).Dependencies, frontend, "%s %s waits for the Temporal frontend", c.stack, svc)
		}
	}
}
