# The two commands of the README: `make demo` and `make test`. Both set everything up first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.bootstrapped

.PHONY: demo demo-multinode test bench clean
$(STAMP): scripts/bootstrap.sh setup.cfg pyproject.toml
	bash scripts/bootstrap.sh
	touch $@

demo: $(STAMP)
	$(PY) -m mesosframe demo

# The multi-node topology (ZooKeeper, two masters, three agents, the schedulers) in network namespaces; root.
demo-multinode: $(STAMP)
	$(PY) -m mesosframe demo-multinode

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) build *.egg-info
