"""The benchmark's web application: enough imports to touch every big dependency."""

import alembic
import jinja2
import redis
import sqlalchemy
import structlog
import tenacity
from fastapi import FastAPI

app = FastAPI()
USED = (alembic, jinja2, redis, sqlalchemy, structlog, tenacity)


@app.get("/")
def root() -> dict[str, str]:
    return {"sqlalchemy": sqlalchemy.__version__}
