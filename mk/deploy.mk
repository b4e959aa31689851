# Deployment: the compose file and the web/worker images (docs/deployment.md).
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

.PHONY: app-images compose-config restore-drill

app-images:
	bash docker/build-app-images.sh

# The build context is prepared by app-images; `config` only needs the folder to exist.
compose-config:
	mkdir -p build/app-image/context
	$(COMPOSE) --env-file docker/compose.env.example -f docker/compose.yaml config -q

restore-drill: $(STAMP)
	$(PY) -m pytest tests/faults/test_restore_drill.py -q
