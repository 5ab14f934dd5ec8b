# Trechter: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAGE ?= dev
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: run test lint unit integration e2e package deploy bench clean format vendor-analytics-next

$(VENV)/.installed: requirements.txt requirements-dev.txt learner/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

run: venv
	$(PY) -m infra.local_stack

test: venv lint
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/bandit -q -r chalicelib -ll

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

unit: venv
	$(PY) -m pytest tests/unit

integration: venv
	$(PY) -m pytest tests/integration

e2e: venv
	$(PY) -m pytest tests/e2e

# Benchmarks and the cost model (docs/PERFORMANCE.md): a table, and dist/bench.json.
bench: venv
	$(PY) -m tests.bench.run $(if $(QUICK),--quick)

# Segment's analytics.js (@segment/analytics-next, npm), vendored for the example page
# landing_pages/examples/segment.html and its browser test: never loaded from a CDN.
ANALYTICS_NEXT_VERSION := 1.84.3
vendor-analytics-next:
	rm -rf dist/analytics-next && mkdir -p dist/analytics-next
	cd dist/analytics-next && npm pack --silent @segment/analytics-next@$(ANALYTICS_NEXT_VERSION) \
		&& tar xzf segment-analytics-next-$(ANALYTICS_NEXT_VERSION).tgz
	sed 's|^//# sourceMappingURL=.*$$||' dist/analytics-next/package/dist/umd/index.js \
		> landing_pages/vendor/analytics-next-$(ANALYTICS_NEXT_VERSION).js
	cp dist/analytics-next/package/LICENSE.MD landing_pages/vendor/analytics-next-LICENSE.md

clean:
	rm -rf dist .pytest_cache .mypy_cache .ruff_cache .hypothesis

# --- Deployment (docs/DEPLOY.md) -------------------------------------------------------
# Template tools (cfn-lint, checkov, aws-sam-translator) and the AWS CLI live in their own
# venv: their pins clash with the app's. tests/infra runs `make tools` itself.
.PHONY: tools
TOOLS_VENV := .venv-tools
TOOLS := $(TOOLS_VENV)/bin
DEPLOY_BUCKET ?=
STACK_NAME ?= trechter-$(STAGE)

$(TOOLS_VENV)/.installed: requirements-tools.txt
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS)/pip install --quiet --upgrade pip
	$(TOOLS)/pip install --quiet -r requirements-tools.txt
	touch $@

tools: $(TOOLS_VENV)/.installed

# dist/template.yaml + dist/deployment.zip: `chalice package --merge-template infra/template.yaml`
# and infra/package.py's finishing touches.
package: venv
	$(PY) -m infra.package --stage $(STAGE) --out dist

# make deploy STAGE=prod DEPLOY_BUCKET=my-artifacts ALLOWED_ORIGINS=https://www.example.com
deploy: tools package
	@test -n "$(DEPLOY_BUCKET)" || { echo "make deploy: set DEPLOY_BUCKET to an S3 bucket in the target region" >&2; exit 2; }
	@test -z "$(LIFECYCLE_WEBHOOK_URL)" -o -n "$(LIFECYCLE_WEBHOOK_SECRET_NAME)" || { echo "make deploy: LIFECYCLE_WEBHOOK_URL is set but LIFECYCLE_WEBHOOK_SECRET_NAME is empty: the webhook's connection needs its secret (docs/INTEGRATIONS.md)" >&2; exit 2; }
	@# Access logging needs API Gateway's account-wide CloudWatch role; create it once if missing.
	@if [ "$$($(TOOLS)/aws apigateway get-account --query cloudwatchRoleArn --output text)" = "None" ]; then \
	  echo "API Gateway has no CloudWatch Logs role in this account and region: deploying infra/apigateway-account.yaml"; \
	  $(TOOLS)/aws cloudformation deploy --template-file infra/apigateway-account.yaml \
	    --stack-name trechter-apigateway-account --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset; \
	fi
	$(TOOLS)/aws cloudformation package \
	  --template-file dist/template.yaml \
	  --s3-bucket $(DEPLOY_BUCKET) --s3-prefix trechter/$(STAGE) \
	  --output-template-file dist/packaged-$(STAGE).yaml
	$(TOOLS)/aws cloudformation deploy \
	  --template-file dist/packaged-$(STAGE).yaml \
	  --stack-name $(STACK_NAME) \
	  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
	  --no-fail-on-empty-changeset \
	  --tags app=trechter stage=$(STAGE) \
	  --parameter-overrides Stage=$(STAGE) \
	    $(if $(ALLOWED_ORIGINS),AllowedOrigins=$(ALLOWED_ORIGINS)) \
	    $(if $(ALARM_EMAIL),AlarmEmail=$(ALARM_EMAIL)) \
	    $(if $(PUBLIC_BASE_URL),PublicBaseUrl=$(PUBLIC_BASE_URL)) \
	    $(if $(FRONT_DOOR_SECRET),FrontDoorSecret=$(FRONT_DOOR_SECRET)) \
	    $(if $(API_RATE_LIMIT),ApiThrottlingRateLimit=$(API_RATE_LIMIT)) \
	    $(if $(API_BURST_LIMIT),ApiThrottlingBurstLimit=$(API_BURST_LIMIT)) \
	    $(if $(LIFECYCLE_EVENT_PAYLOAD),LifecycleEventPayload=$(LIFECYCLE_EVENT_PAYLOAD)) \
	    $(if $(LIFECYCLE_WEBHOOK_URL),LifecycleWebhookUrl=$(LIFECYCLE_WEBHOOK_URL) LifecycleWebhookSecretName=$(LIFECYCLE_WEBHOOK_SECRET_NAME)) \
	    $(if $(LEARNER_IMAGE),LearnerImageUri=$(LEARNER_IMAGE)) \
	    $(PARAMETER_OVERRIDES)
	$(TOOLS)/aws cloudformation describe-stacks --stack-name $(STACK_NAME) \
	  --query "Stacks[0].Outputs[?OutputKey=='EndpointURL' || OutputKey=='FrontDoorBaseUrl' || OutputKey=='HotLeadsTopicArn' || OutputKey=='LifecycleEventBusName']" --output table

# --- The console (README: "The console") ----------------------------------------------
# Vendored front-end packages from the npm registry (never a CDN): uPlot for the console's
# charts, axe-core for the accessibility test. `make vendor` fetches the pinned versions
# again and checks them against the committed SHA256SUMS.
UPLOT_VERSION := 1.6.32
AXE_VERSION := 4.14.1
.PHONY: vendor console-publish
vendor:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent uplot@$(UPLOT_VERSION) axe-core@$(AXE_VERSION) >/dev/null \
	  && tar xzf uplot-$(UPLOT_VERSION).tgz && cp package/dist/uPlot.esm.js package/dist/uPlot.min.css package/LICENSE $(CURDIR)/console/vendor/uplot-$(UPLOT_VERSION)/ \
	  && rm -rf package && tar xzf axe-core-$(AXE_VERSION).tgz && cp package/axe.min.js package/LICENSE $(CURDIR)/tests/browser/vendor/axe-core-$(AXE_VERSION)/ \
	  && rm -rf $$tmp
	cd console/vendor/uplot-$(UPLOT_VERSION) && sha256sum -c SHA256SUMS
	cd tests/browser/vendor/axe-core-$(AXE_VERSION) && sha256sum -c SHA256SUMS

# make console-publish STAGE=prod: console/ and its config.json to the stack's bucket.
console-publish: tools
	@out() { $(TOOLS)/aws cloudformation describe-stacks --stack-name $(STACK_NAME) \
	  --query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; }; \
	bucket=$$(out ConsoleBucketName); api=$$(out EndpointURL); \
	printf '{"api_url": "%s", "cognito_endpoint": "https://cognito-idp.%s.amazonaws.com/", "cognito_region": "%s", "cognito_client_id": "%s", "stage": "%s"}\n' \
	  "$${api%/}" "$$AWS_DEFAULT_REGION" "$$AWS_DEFAULT_REGION" "$$(out ConsoleUserPoolClientId)" "$(STAGE)" > dist/console-config.json; \
	$(TOOLS)/aws s3 sync console/ s3://$$bucket/ --delete --exclude config.json; \
	$(TOOLS)/aws s3 cp dist/console-config.json s3://$$bucket/config.json --content-type application/json; \
	echo "console: $$(out ConsoleUrl)"

# Replay leads' events under the current scoring model (docs in infra/rescore.py).
rescore: venv
	$(PY) -m infra.rescore --stage $(STAGE) $(if $(LEAD),--lead $(LEAD)) $(if $(CURSOR),--cursor $(CURSOR))

# --- Adaptive scoring (README, "Adaptive scoring") -------------------------------------
.PHONY: outcomes learn learner-image
# make outcomes STAGE=local FILE=deals.csv: a CRM export (email,outcome,closed_at,amount).
outcomes: venv
	@test -n "$(FILE)" || { echo "make outcomes: set FILE to a CSV (email,outcome,closed_at,amount)" >&2; exit 2; }
	$(PY) -m infra.outcomes --stage $(STAGE) --file $(FILE)

# make learn STAGE=local [PROMOTE=1]: learn points from outcomes (learner/, its own requirements).
learn: venv
	$(PY) -m learner --stage $(STAGE) $(if $(PROMOTE),--promote) $(if $(UPLOAD),--upload) $(if $(SPLIT),--split $(SPLIT))

# make learner-image LEARNER_REPOSITORY=<account>.dkr.ecr.<region>.amazonaws.com/trechter-learner
# The learner's container image (learner/Dockerfile; docs/ADAPTIVE.md "In AWS"), pushed to an
# ECR repository; then `make deploy ... LEARNER_IMAGE=<the printed image URI>` schedules it.
learner-image: tools
	@test -n "$(LEARNER_REPOSITORY)" || { echo "make learner-image: set LEARNER_REPOSITORY to an ECR repository URI" >&2; exit 2; }
	@command -v docker >/dev/null || { echo "make learner-image: needs docker" >&2; exit 2; }
	$(TOOLS)/aws ecr get-login-password | docker login --username AWS --password-stdin $(firstword $(subst /, ,$(LEARNER_REPOSITORY)))
	docker build --platform linux/amd64 -f learner/Dockerfile -t $(LEARNER_REPOSITORY):$$(git rev-parse --short HEAD) .
	docker push $(LEARNER_REPOSITORY):$$(git rev-parse --short HEAD)
	@echo "LEARNER_IMAGE=$(LEARNER_REPOSITORY):$$(git rev-parse --short HEAD)"
