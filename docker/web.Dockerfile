# The web image: Django under gunicorn, static files served by whitenoise.
# Built OFFLINE by docker/build-app-images.sh: the base is the debootstrapped Debian bookworm
# (python3 + pip) that docker/build-grader-image.sh imports, the wheels come from a wheelhouse
# filled on the host by `pip download`, and the build runs with --network none.
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
WORKDIR /srv/app
ENV PYTHONPATH=/srv/app/platform:/srv/app \
    DJANGO_SETTINGS_MODULE=config.settings \
    PYTHONUNBUFFERED=1 \
    SUBMISSION_STORE=/data/store \
    GRADER_WORK_DIR=/data/grading \
    LANG=C.UTF-8
# collectstatic needs settings but no secret worth keeping: a throwaway key, build time only.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
        python3 manage.py collectstatic --noinput -v 0 \
    && rm -f /tmp/build.sqlite3 && chown -R app:app /srv/app/staticfiles
USER app
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD python3 -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/accounts/login/', timeout=4).status == 200 else 1)"
CMD ["python3", "-m", "gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--workers", "3", "--timeout", "120", "--access-logfile", "-"]
