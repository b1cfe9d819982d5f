"""API v1 fuzzed against its own description (issue 27): Schemathesis generates requests from
/api/v1/openapi.json for every operation, sends them to a real server (gunicorn, as `make run`
starts it) with a personal access token of each scope, and checks each answer: never a server
error, a status code and a content type the description lists, a body valid against the
operation's schema. A bounded number of examples per operation and token keeps it well under a
minute; the counts are printed."""
from __future__ import annotations

import traceback

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from app.api.contract import ORGANISER_READ, SCOPES
from app.api.token_service import create_token
from app.networks.service import create_network
from models import Profile, User, db
from tests.helpers import databases
from tests.helpers.apps import base_config
from tests.helpers.browser import ROOT, LiveServer

EXAMPLES = 4  # per operation and token
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed_server(template_db, tmp_path_factory):
    """A live server over a database with a member, an organiser, a network and a token of
    each scope (the organiser's for the organiser scope)."""
    workdir = tmp_path_factory.mktemp("fuzz")
    db_file = workdir / "maillage.sqlite3"
    databases.copy(template_db, db_file)
    app = create_app(base_config(db_file))
    tokens = {}
    with app.app_context():
        member = User(email="fuzz@example.org", display_name="Fuzz Member", role="member")
        organiser = User(email="fuzz-org@example.org", display_name="Fuzz Org", role="organiser")
        for user in (member, organiser):
            user.set_password("a long enough password")
            user.profile = Profile()
            db.session.add(user)
        db.session.flush()
        network = create_network(db.session, member, "Be kind.", name="Réseau fuzz",
                                 visibility="open")
        for scope in SCOPES:
            owner = organiser if scope == ORGANISER_READ else member
            tokens[scope] = create_token(db.session, owner, scope, [scope], None)[1]
        script = create_token(db.session, member, "README", ["read", "write:posts"], None)[1]
        db.session.commit()
        tokens_extra = {"script": script, "network": network.id}
        db.engine.dispose()
    server = LiveServer(db_file, workdir, env={
        "MAILLAGE_API_TOKEN_RATE_LIMIT": '"100000 per minute"',
        "MAILLAGE_API_CHECK_RESPONSES": "true"})
    server.extra = tokens_extra
    yield server, tokens
    server.stop()
    databases.drop(db_file)


def fuzz(operation, session, headers: dict, counter: list) -> None:
    """EXAMPLES generated requests to one operation; a failed check raises."""
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        counter.append(1)
        response = case.call(session=session, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)
    run()


def load(server, spec: dict):
    schema = schemathesis.openapi.from_dict(spec)
    schema.config.update(base_url=server.url + "/api/v1")
    return [result.ok() for result in schema.get_all_operations()]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(fuzzed_server):
    server, tokens = fuzzed_server
    spec = requests.get(server.url + "/api/v1/openapi.json", timeout=10).json()
    operations = load(server, spec)
    session, examples = requests.Session(), []
    for operation in operations:
        for secret in tokens.values():
            fuzz(operation, session, {"Authorization": f"Bearer {secret}"}, examples)
    print(f"\nSchemathesis: {len(operations)} operations, {len(tokens)} tokens, "
          f"{len(examples)} examples, 0 server errors, 0 schema violations")
    assert len(operations) == sum(len(ops) for ops in spec["paths"].values())
    assert len(examples) >= len(operations) * len(tokens)


def test_the_checks_catch_an_answer_that_drifts_from_its_schema(fuzzed_server):
    """The same run against a description that lies about one answer must fail."""
    server, tokens = fuzzed_server
    spec = requests.get(server.url + "/api/v1/openapi.json", timeout=10).json()
    spec["components"]["schemas"]["Skills"]["properties"]["total"] = {"type": "string"}
    skills = [op for op in load(server, spec) if op.path == "/skills"]
    with pytest.raises(BaseException) as caught:  # a group of the failed checks
        fuzz(skills[0], requests.Session(), {"Authorization": f"Bearer {tokens['read']}"}, [])
    assert "Response violates schema" in "".join(traceback.format_exception(caught.value))


def test_the_readme_script_creates_a_post_and_reads_it_back(fuzzed_server):
    """The README's curl script, as the same two requests."""
    server, _tokens = fuzzed_server
    readme = (ROOT / "README.md").read_text()
    assert 'curl -sS -X POST "$MAILLAGE/api/v1/networks/$NETWORK/posts"' in readme
    assert 'curl -sS "$MAILLAGE/api/v1/networks/$NETWORK/posts" -H "Authorization: Bearer' in readme
    token, network = server.extra["script"], server.extra["network"]
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(f"{server.url}/api/v1/networks/{network}/posts", headers=headers,
                            json={"body": "Atelier réparation samedi à 10 h"}, timeout=10)
    assert created.status_code == 201, created.text
    read = requests.get(f"{server.url}/api/v1/networks/{network}/posts", headers=headers,
                        timeout=10)
    assert read.status_code == 200
    assert read.json()["items"][0] == {**created.json(), "comment_count": 0}
