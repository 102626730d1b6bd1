# kubebin developer entry points. Every target is idempotent and quick when there is nothing to do.
#   make lab      deploy a real 3-node cluster into local lab containers (LAB=ha: 3 control-plane hosts + 2 nodes)
#   make test     the whole test suite (what .ci/run calls)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        ?= $(CURDIR)/.venv
PY          := $(VENV)/bin/python
BIN         := $(VENV)/bin
export KUBEBIN_CACHE ?= /var/cache/kubebin
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
export ANSIBLE_FORCE_COLOR ?= 0

# Molecule scenarios run by `make test`, in dependency order (each is self-contained).
MOLECULE_SCENARIOS ?= pki prepare artifacts etcd docker containerd control_plane cluster ha

# The lab layout of `make lab`: empty = inventory/lab (master01, node01, node02), ha = inventory/lab-ha.
LAB ?=

.PHONY: help
help:
	@echo "make lab          deploy a 3-node lab cluster (master01, node01, node02) in local containers"
	@echo "make lab LAB=ha   the same with 3 control-plane hosts (master01..03) behind a local HAProxy, + node01, node02"
	@echo "make lab-destroy  remove the lab containers and network (whichever layout)"
	@echo "make test         lint + sanity + unit + integration + molecule scenarios ($(MOLECULE_SCENARIOS))"
	@echo "make bundle       build/verify the offline artifact bundle in $(KUBEBIN_CACHE)"

# --- tooling ---------------------------------------------------------------------------------------------
$(VENV)/.installed: requirements.txt
	@echo "==> [venv] creating $(VENV) from requirements.txt"
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.installed collection-link

# Make this checkout importable as the collection kubebin.cluster (roles/modules by FQCN).
.PHONY: collection-link
collection-link:
	@mkdir -p .cache/collections/ansible_collections/kubebin
	@ln -sfn $(CURDIR) .cache/collections/ansible_collections/kubebin/cluster

.PHONY: docker
docker:
	@hack/docker-engine.sh

.PHONY: host-sysctl
host-sysctl:
	@hack/host-sysctl.sh

.PHONY: image
image: docker
	@hack/lab-image.sh

.PHONY: bundle
bundle:
	@hack/bundle.sh

# The previous Kubernetes release, which molecule/cluster deploys before it upgrades the cluster to the default one
# (built only for that scenario: make lab does not need it).
UPGRADE_FROM := $(shell sed -n 's/^ *kubebin_kubernetes_version: *\(v[0-9.]*\).*/\1/p' molecule/cluster/molecule.yml)
.PHONY: bundle-upgrade-from
bundle-upgrade-from:
	@hack/bundle.sh --kubernetes-version $(UPGRADE_FROM)

.PHONY: kube-bench
kube-bench: venv
	@echo "==> [kube-bench] CIS benchmark tool for the control_plane scenario ($(KUBEBIN_CACHE)/tools)"
	@molecule/control_plane/kube-bench.sh

.PHONY: prereqs
prereqs: venv docker host-sysctl image bundle

# --- tests -----------------------------------------------------------------------------------------------
.PHONY: lint
lint: venv
	@echo "==> [lint] ansible-lint (production profile)"
	@# ANSIBLE_HOME here: ansible-lint puts $$ANSIBLE_HOME/collections (default ~/.ansible) before ours, and a copy
	@# of kubebin.cluster another checkout installed there would shadow this one.
	@# --strict: a warning (a rule of the profile that only warns, e.g. jinja[spacing]) fails the step too.
	ANSIBLE_HOME=$(CURDIR)/.cache/ansible-lint-home $(BIN)/ansible-lint --profile production --strict

.PHONY: sanity
sanity: venv
	@hack/sanity.sh

.PHONY: unit
unit: venv
	@echo "==> [unit] pytest tests/unit"
	$(BIN)/pytest -q tests/unit

.PHONY: integration
integration: venv bundle
	@echo "==> [integration] preflight (bad inventories through ansible-playbook) and the bundle's release source through a local mirror (tests/integration)"
	$(BIN)/pytest -q tests/integration

.PHONY: molecule
molecule: prereqs kube-bench bundle-upgrade-from
	@n=0; total=$(words $(MOLECULE_SCENARIOS)); for s in $(MOLECULE_SCENARIOS); do \
	  n=$$((n+1)); start=$$(date +%s); \
	  echo "==> [molecule] $$n/$$total scenario $$s"; \
	  flock /tmp/kubebin-molecule.lock sh -c 'w=$$(( $$(date +%s) - $$1 )); [ $$w -lt 2 ] || echo "==> [molecule] waited $${w}s for another Molecule run (lock /tmp/kubebin-molecule.lock)"; exec "$$2" test -s "$$3"' _ $$start $(BIN)/molecule $$s \
	    || { echo "==> [molecule] scenario $$s FAILED"; exit 1; }; \
	  echo "==> [molecule] $$n/$$total scenario $$s passed in $$(( $$(date +%s) - start ))s"; \
	done

molecule-%: prereqs kube-bench bundle-upgrade-from
	flock /tmp/kubebin-molecule.lock $(BIN)/molecule test -s $*

.PHONY: test
test: lint sanity unit integration molecule
	@echo "==> [test] all suites passed"

# --- the lab -------------------------------------------------------------------------------------------------
.PHONY: lab
lab: prereqs
	@LAB=$(LAB) hack/lab.sh up

.PHONY: lab-destroy
lab-destroy: venv
	@hack/lab.sh down
