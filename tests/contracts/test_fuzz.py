"""Fuzzing every operation of the five services (schemathesis): whatever a caller sends, valid or
not, no answer is a server error, and every answer matches what the OpenAPI document promises.

Each service runs in-process on its own migrated database (registry with its reference data),
called with a token that may do everything (province officer and platform admin), so the cases
reach the handlers rather than stopping at a 401. Positive and negative cases, a bounded budget
per operation (schemathesis' boundary cases, then ``SME_FUZZ_EXAMPLES`` random ones, default 30),
derandomised so a run repeats; about 80 s for the file on an idle 2-core machine.

Checks: ``not_a_server_error`` above all; every status code answered is declared, and the
response's content type, headers and body conform to the document; a request the document calls
invalid is refused; a method an operation does not have is a 405 with ``Allow``; a missing required
header is refused. Not checked: that every valid request succeeds (generated USCCs and ids mostly
name nothing, so 404 is the right answer).
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from sme_common.auth.keys import ensure_signing_key
from sme_common.ids import make_uscc
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory
from sme_embedded.platform import SERVICES, ServiceModule
from sme_registry.reference.service import load_reference_data

EXAMPLES = int(os.environ.get("SME_FUZZ_EXAMPLES", "30"))
CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "unsupported_method",
    "missing_required_header",
)
# Findings for a service to fix, by operation: the check named is skipped there (every other check,
# not_a_server_error first, still applies). Empty: every operation passes every check.
WAIVED_CHECKS: dict[str, dict[str, str]] = {}

# Certification's evidence documents are uploaded as the files themselves (PDF, JPEG, PNG): binary
# bodies, serialised as schemathesis serialises octet-stream.
for _media_type in ("application/pdf", "image/jpeg", "image/png"):
    schemathesis.serializer.alias(_media_type, "application/octet-stream")


def _operations() -> Iterator[Any]:
    """Every operation of every service, read from the apps' own OpenAPI documents (a new
    endpoint is fuzzed the day it is added). The apps built here only describe themselves."""
    with tempfile.TemporaryDirectory(prefix="sme-fuzz-keys-") as directory:
        keys = Path(directory)
        ensure_signing_key(keys)
        for module in SERVICES:
            settings = module.settings_class(
                auth=AuthSettings(jwks_file=keys / "jwks.json"), run_workers=False
            )
            document = module.create_app(settings).openapi()
            for path, operations in sorted(document["paths"].items()):
                for method in sorted(operations):
                    label = f"{method.upper()} {path}"
                    yield pytest.param(module, label, id=label)


@pytest.fixture(scope="module")
def service_schema(
    database_factory: DatabaseFactory, auth_dir: Path, kafka_bootstrap: str
) -> Callable[[ServiceModule], Any]:
    """Each service's app and schema, built once: schemathesis calls the app on its own event
    loop, where the app opens its own connections to a database of its own."""
    schemas: dict[str, Any] = {}

    def get(module: ServiceModule) -> Any:
        name = module.definition.name
        if name not in schemas:
            url = database_factory.create(f"fuzz_{name}", module.definition.package)
            if name == "registry":
                load_reference_data(url)
            settings = module.settings_class(
                database_url=url,  # type: ignore[arg-type]
                kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),  # for /readyz
                auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
                run_workers=False,
            )
            app = module.create_app(settings)
            schemas[name] = schemathesis.openapi.from_asgi(
                f"{module.definition.api_prefix}/openapi.json", app
            )
        return schemas[name]

    return get


@pytest.mark.parametrize(("module", "label"), list(_operations()))
def test_no_operation_answers_a_server_error(
    service_schema: Callable[[ServiceModule], Any],
    bearer: TokenFactory,
    module: ServiceModule,
    label: str,
) -> None:
    method, path = label.split(" ", 1)
    schema = service_schema(module)
    operation = schema[path][method]
    headers = bearer("province_officer", "platform_admin", region="620000")
    load_all_checks()
    waived = WAIVED_CHECKS.get(label, {})
    checks = [CHECKS.get_one(name) for name in CHECK_NAMES if name not in waived]
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]

    # Boundary values of every parameter and field (schemathesis' coverage phase), then random ones.
    for case in schema.iter_coverage_cases(
        operation,
        generation_modes=modes,
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
    ):
        case.call_and_validate(headers=headers, checks=checks)

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=st.one_of(*(operation.as_strategy(generation_mode=m) for m in modes)))
    def fuzz(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=checks)

    fuzz()


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


USCC = make_uscc(region="620102", body="MF000001")
NUL = "a\x00b"


@pytest.mark.parametrize(
    ("label", "path_parameters", "query", "body"),
    [
        pytest.param(
            "GET /api/registry/v1/enterprises", {}, {"q": NUL}, None, id="registry search q NUL"
        ),
        pytest.param(
            "GET /api/registry/v1/enterprises/{uscc}",
            {"uscc": NUL},
            {},
            None,
            id="registry path NUL",
        ),
        pytest.param(
            "POST /api/registry/v1/enterprises",
            {},
            {},
            {"uscc": USCC, "name": NUL, "region_code": "620102"},
            id="registry body NUL",
        ),
        *(
            pytest.param(
                f"GET /api/{name}/v1/enterprises", {}, {"q": NUL}, None, id=f"{name} q NUL"
            )
            for name in ("certification", "funding", "finance-matching", "complaints")
        ),
        pytest.param(
            "GET /api/registry/v1/enterprises",
            {},
            {"cursor": _cursor({"x": 1})},
            None,
            id="search cursor without its key",
        ),
        pytest.param(
            "GET /api/registry/v1/enterprises",
            {},
            {"cursor": _cursor({"u": 5})},
            None,
            id="search cursor of the wrong type",
        ),
        pytest.param(
            "GET /api/registry/v1/changes",
            {},
            {"cursor": _cursor({"p": "a"})},
            None,
            id="change-feed cursor not an integer",
        ),
        pytest.param(
            "GET /api/registry/v1/changes",
            {},
            {"cursor": _cursor({"p": 10**30})},
            None,
            id="change-feed cursor out of range",
        ),
        pytest.param(
            "GET /api/registry/v1/enterprises/{uscc}",
            {"uscc": USCC},
            {"as_of": "9999-12-31"},
            None,
            id="as_of the last day of the calendar",
        ),
    ],
)
def test_inputs_the_fuzzer_rarely_builds_are_not_server_errors(
    service_schema: Callable[[ServiceModule], Any],
    bearer: TokenFactory,
    label: str,
    path_parameters: dict[str, str],
    query: dict[str, str],
    body: Any,
) -> None:
    method, path = label.split(" ", 1)
    module = next(m for m in SERVICES if path.startswith(m.definition.api_prefix + "/"))
    schema = service_schema(module)
    headers = bearer("province_officer", "platform_admin", region="620000")
    if module.definition.name == "registry":  # an enterprise to read (201, or 409 once it is)
        register = schema["/api/registry/v1/enterprises"]["POST"].Case(
            body={"uscc": USCC, "name": "模糊测试企业", "region_code": "620102"},
            media_type="application/json",
        )
        assert register.call(headers=headers).status_code in (201, 409)
    operation = schema[path][method]
    with_body = {} if body is None else {"body": body, "media_type": "application/json"}
    case = operation.Case(path_parameters=path_parameters, query=query, **with_body)
    response = case.call(headers=headers)
    assert response.status_code < 500, response.text
    if NUL in [*path_parameters.values(), *query.values(), *(body or {}).values()]:
        assert response.status_code == 422 and response.json()["code"] == "text_nul_character"
