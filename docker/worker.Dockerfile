# The worker image: Celery workers (cpu and gpu queues), beat and Flower. The grading sandbox is
# a sibling container started through the host's Docker engine (the socket is mounted by the
# compose file), so this image needs the Docker SDK, not a Docker engine.
# Built OFFLINE by docker/build-app-images.sh, like docker/web.Dockerfile.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}

COPY wheelhouse/ /tmp/wheelhouse/
COPY requirements.txt requirements-deploy.txt /tmp/
RUN python3 -m pip install --no-index --find-links /tmp/wheelhouse --break-system-packages --no-compile \
        -r /tmp/requirements.txt -r /tmp/requirements-deploy.txt \
    && rm -rf /tmp/wheelhouse /root/.cache \
    && useradd --uid 10010 --user-group --create-home --home-dir /srv/app --shell /usr/sbin/nologin app \
    && mkdir -p /data/store /data/grading && chown -R app:app /data

COPY --chown=app:app src/ /srv/app/
COPY worker-entrypoint.sh /usr/local/bin/worker-entrypoint
WORKDIR /srv/app
ENV PYTHONPATH=/srv/app/platform:/srv/app \
    DJANGO_SETTINGS_MODULE=config.settings \
    PYTHONUNBUFFERED=1 \
    SUBMISSION_STORE=/data/store \
    GRADER_WORK_DIR=/data/grading \
    SANDBOX_BACKEND=docker \
    LANG=C.UTF-8
# The worker talks to the engine through /var/run/docker.sock; the compose file adds the
# socket's group to this user (group_add), so it runs without root.
USER app
ENTRYPOINT ["/usr/local/bin/worker-entrypoint"]
HEALTHCHECK --interval=30s --timeout=20s --start-period=30s --retries=3 \
    CMD celery -A config inspect ping -d "celery@$HOSTNAME" --timeout 10 >/dev/null || exit 1
CMD ["celery", "-A", "config", "worker", "-Q", "cpu", "--concurrency", "1", "--loglevel", "INFO"]
