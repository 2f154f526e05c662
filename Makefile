# DocuStack infrastructure. Everything here runs offline with only Go.
STACK ?= dev
GO    ?= go

.PHONY: plan test golden lint bench check docs

## plan: print the plan of STACK (dev, staging, prod, org) as a tree, offline
plan:
	$(GO) run ./cmd/docustack plan --stack $(STACK)

## test: the whole test suite (the command CI runs)
test:
	$(GO) test ./...

## golden: rewrite testdata/golden/<stack>.json from the program; review the diff
golden:
	$(GO) test ./internal/synth -run TestGolden -update

## lint: formatting and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## bench: synthesis time per stack
bench:
	$(GO) test ./internal/synth -run '^$$' -bench BenchmarkSynth -benchmem

## check: run the HIPAA policy pack over every stack, offline
check:
	@for s in dev staging prod org; do $(GO) run ./cmd/docustack check --stack $$s || exit 1; done

## docs: regenerate docs/controls.md, docs/architecture.md (Mermaid) and docs/config.md
docs:
	$(GO) run ./cmd/docustack docs
