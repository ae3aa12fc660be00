"""Database URLs: every secret a URL can carry is masked; one that does not parse is not echoed."""

from __future__ import annotations

import pytest

from vmmonbench.db.database import mask_url, mask_url_text, parse_url, scrub_secrets
from vmmonbench.errors import DatabaseUrlError

SECRET = "s3cret-Pw"

# every place a URL can carry a secret, and what must remain visible
AT = "postgresql://monitor@db.example/engine"
SECRET_FORMS = {
    "userinfo": (f"postgresql://monitor:{SECRET}@db.example:5432/engine", "monitor:***@db.example"),
    "escaped @": (
        f"postgresql://monitor:{SECRET}%40x@db.example/engine",
        "monitor:***@db.example",
    ),
    "query password": (f"{AT}?password={SECRET}", "password=***"),
    "sslpassword": (
        f"{AT}?sslpassword={SECRET}",
        "sslpassword=***",
    ),
    "passfile": (f"{AT}?passfile=/home/{SECRET}", "passfile=***"),
    "sslkey": (f"{AT}?sslkey=/keys/{SECRET}.key", "sslkey=***"),
    "sslcert": (
        f"{AT}?sslcert=/keys/{SECRET}.crt",
        "sslcert=***",
    ),
    "token-like key": (
        f"{AT}?auth_token={SECRET}",
        "auth_token=***",
    ),
    "both": (
        f"postgresql://monitor:{SECRET}@db.example/engine?sslmode=require&password={SECRET}",
        "sslmode=require",
    ),
}


@pytest.mark.parametrize(("raw", "visible"), SECRET_FORMS.values(), ids=SECRET_FORMS.keys())
def test_every_secret_form_is_masked(raw: str, visible: str) -> None:
    url = parse_url(raw)
    for shown in (mask_url(url), mask_url(raw)):
        assert SECRET not in shown
        assert visible in shown
    # the masked URL still says where the database is
    assert "db.example" in mask_url(url)
    assert parse_url(raw).password != "***"  # masking never changes the URL that is used


def test_harmless_query_parameters_stay_visible() -> None:
    shown = mask_url(parse_url("postgresql://u@h/db?sslmode=verify-full&application_name=vmb"))
    assert shown == "postgresql+psycopg://u@h/db?application_name=vmb&sslmode=verify-full"


UNPARSEABLE = {
    "unescaped @": f"postgresql://monitor:{SECRET}@tail@db.example/engine",
    "no scheme": f"monitor:{SECRET}@db.example/engine",
    "port abc": f"postgresql://monitor:{SECRET}@db.example:abc/engine",
    "port out of range": f"postgresql://monitor:{SECRET}@db.example:99999/engine",
    "garbage": f"::{SECRET}::",
}


@pytest.mark.parametrize("raw", UNPARSEABLE.values(), ids=UNPARSEABLE.keys())
def test_a_url_that_does_not_parse_is_refused_without_its_secrets(raw: str) -> None:
    with pytest.raises(DatabaseUrlError) as refused:
        parse_url(raw)
    message = refused.value.message
    assert SECRET not in message
    assert "tail" not in message  # the tail of a password cut at an unescaped @
    assert SECRET not in mask_url(raw)
    assert SECRET not in mask_url_text(raw)


def test_an_unescaped_at_is_explained() -> None:
    with pytest.raises(DatabaseUrlError, match="%40"):
        parse_url("postgresql://u:p@ss@h/db")


def test_a_url_without_a_scheme_is_not_echoed_at_all() -> None:
    with pytest.raises(DatabaseUrlError) as refused:
        parse_url("monitor@db.example/engine")
    assert "db.example" not in refused.value.message
    assert "not shown" in refused.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgresql+asyncpg://u@h/db", "unsupported driver 'asyncpg'"),
        ("postgresql+pg8000://u@h/db", "unsupported driver 'pg8000'"),
        ("sqlite+aiosqlite:///x.db", "unsupported driver 'aiosqlite'"),
        ("mysql://u@h/db", "unsupported database 'mysql'"),
    ],
)
def test_drivers_other_than_psycopg_and_sqlite3_are_refused(raw: str, expected: str) -> None:
    with pytest.raises(DatabaseUrlError, match=expected):
        parse_url(raw)


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
        ("sqlite+pysqlite:///x.db", "sqlite"),
    ],
)
def test_accepted_urls_use_the_tested_drivers(raw: str, driver: str) -> None:
    assert parse_url(raw).drivername == driver


def test_a_driver_message_is_scrubbed_of_the_urls_secrets() -> None:
    url = parse_url(f"postgresql://u:{SECRET}@h/db?sslkey=/k/{SECRET}.key")
    text = f'could not open "/k/{SECRET}.key"; password {SECRET} rejected'
    assert SECRET not in scrub_secrets(text, url)
