"""Event contracts: the Pydantic model of each event type keeps the wire format the hand-written
schemas had, agrees with the committed JSON Schema it generates, and refuses what a producer may not
send."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from sme_common.contracts.base import EventContractError
from sme_common.contracts.events.registry.models import (
    EnterpriseRegisteredV1,
    FactsFiledV1,
    SizeClassChangedV1,
)
from sme_common.contracts.index import EVENT_MODELS, model_for
from sme_common.events.envelope import CloudEvent, schema_path, schema_url
from sme_common.events.schemas import EventSchemaError, schema_for, validate_event_data

USCC = "91110000600037341L"
AT = "2026-11-24T08:00:00.123456+00:00"

# One event of every type as producers send it (every field the contract declares).
SAMPLES: dict[str, dict[str, Any]] = {
    "registry.enterprise.registered.v1": {
        "uscc": USCC,
        "name": "兰州示例机械制造有限公司",
        "legal_representative": None,
        "region_code": "620102",
        "reporting_unit_code": "620100",
        "industry_code": "C3411",
        "founded_on": "2015-06-01",
        "operating_status": "operating",
        "registered_at": AT,
        "version": 1,
    },
    "registry.enterprise.updated.v1": {
        "uscc": USCC,
        "version": 2,
        "changed_fields": ["name"],
        "name": "兰州示例（新）有限公司",
        "former_names": [{"name": "兰州示例机械制造有限公司", "until": "2026-11-24"}],
        "legal_representative": "张三",
        "region_code": "620102",
        "reporting_unit_code": "620100",
        "industry_code": None,
        "founded_on": None,
        "operating_status": "operating",
        "updated_at": AT,
    },
    "registry.enterprise.facts-filed.v1": {
        "uscc": USCC,
        "year": 2025,
        "version": 1,
        "facts": {
            "source": "self_declared",
            "employees": 120,
            "operating_revenue_fen": 3_000_000_000,
            "quality_certifications": ["ISO 9001"],
            "leading_product": None,
        },
        "ratios": {"debt_ratio": "0.2500", "revenue_growth_ratio": None},
        "source": "self_declared",
        "filed_at": AT,
    },
    "registry.enterprise.size-class-changed.v1": {
        "uscc": USCC,
        "size_class": "small",
        "previous_size_class": None,
        "basis_year": 2025,
        "rule_version": "gxb-2011-300",
        "explanation": {
            "figures": {
                "employees": 120,
                "operating_revenue_fen": 1,
                "operating_revenue_wan": 1e-6,
            },
            "thresholds": {"employees": 20, "operating_revenue_wan": 300},
            "row": "industry",
        },
        "decided_at": AT,
    },
    "registry.enterprise.pool-changed.v1": {
        "uscc": USCC,
        "entry_id": "pe_1",
        "pool": "specialised",
        "change": "entered",
        "on": "2026-11-24",
        "reason": "specialised certificate granted",
        "source": "certificate",
        "source_ref": None,
    },
    "registry.enterprise.flags-changed.v1": {
        "uscc": USCC,
        "flag_id": "cf_1",
        "kind": "dishonest_executee",
        "change": "raised",
        "started_on": "2026-11-24",
        "ended_on": None,
        "source": "court",
        "active_flags": ["dishonest_executee"],
    },
    "registry.enterprise.service-people-changed.v1": {
        "uscc": USCC,
        "change": "assigned",
        "assignment_id": "assign_1",
        "people": [
            {
                "person_id": "person_1",
                "name": "李四",
                "role": "service_commissioner",
                "organisation": "城关区工业和信息化局",
                "phone": "0931-8888888",
                "assigned_on": "2026-11-24",
            },
            {
                "person_id": "person_2",
                "name": "王五",
                "role": "financial_adviser",
                "organisation": None,
                "phone": None,
                "assigned_on": "2026-03-01",
            },
        ],
        "changed_at": AT,
    },
    "certification.certificate.granted.v1": {
        "certificate_id": "c1",
        "uscc": USCC,
        "tier": "specialised",
        "level": "provincial",
        "certificate_number": "GS-2026-001",
        "issued_on": "2026-01-01",
        "expires_on": "2029-01-01",
    },
    "certification.certificate.revoked.v1": {
        "certificate_id": "c1",
        "uscc": USCC,
        "tier": "specialised",
        "revoked_on": "2026-06-01",
        "reason": "false declaration",
        "reason_code": "false_declaration",
        "falsification": True,
        "banned_until": "2029-06-01",
    },
    "certification.certificate.expired.v1": {
        "certificate_id": "c1",
        "uscc": USCC,
        "tier": "innovative",
        "expired_on": "2029-01-01",
    },
    "certification.certificate.re-review-due.v1": {
        "certificate_id": "c1",
        "uscc": USCC,
        "tier": "specialised",
        "level": "provincial",
        "certificate_number": "GS-ZJTX-2026-000001",
        "expires_on": "2029-01-01",
        "notified_on": "2028-10-03",
    },
    "certification.certificate.renewed.v1": {
        "certificate_id": "c1",
        "uscc": USCC,
        "tier": "specialised",
        "level": "provincial",
        "certificate_number": "GS-ZJTX-2026-000001",
        "renewed_on": "2028-12-20",
        "expires_on": "2032-01-01",
    },
    "certification.application.submitted.v1": {
        "application_id": "app_1",
        "uscc": USCC,
        "batch_id": "batch_1",
        "tier": "specialised",
        "level": "provincial",
        "kind": "new",
        "year": 2026,
        "region_code": "620102",
        "reporting_unit_code": "620100",
        "resubmission": False,
        "submitted_at": AT,
        "version": 2,
    },
    "certification.application.recommended.v1": {
        "application_id": "app_1",
        "uscc": USCC,
        "batch_id": "batch_1",
        "tier": "specialised",
        "level": "provincial",
        "reporting_unit_code": "620100",
        "recommended_at": AT,
        "version": 4,
    },
    "certification.application.returned.v1": {
        "application_id": "app_1",
        "uscc": USCC,
        "batch_id": "batch_1",
        "tier": "specialised",
        "stage": "city_recommendation",
        "remarks": {"awards": "奖项证书不清晰"},
        "returned_at": AT,
        "version": 4,
    },
    "certification.application.notice-started.v1": {
        "application_id": "app_1",
        "uscc": USCC,
        "batch_id": "batch_1",
        "tier": "specialised",
        "level": "provincial",
        "notice_id": "notice_1",
        "starts_on": "2026-09-28",
        "ends_on": "2026-10-12",
        "length": 5,
        "unit": "working_days",
        "expert_score": "86.33",
        "started_at": AT,
        "version": 8,
    },
    "certification.application.rejected.v1": {
        "application_id": "app_1",
        "uscc": USCC,
        "batch_id": "batch_1",
        "tier": "specialised",
        "level": "provincial",
        "reasons": {"expert_score": "专家评审得分低于60分"},
        "by_objection": None,
        "rejected_at": AT,
        "version": 9,
    },
    "funding.entitlement.created.v1": {
        "entitlement_id": "ent_5f2a9c01d3e4b677",
        "uscc": USCC,
        "policy_code": "GS-ZJTX-PROV-FIRST",
        "amount_fen": 30_000_000,
        "status": "pending_approval",
        "certificate_id": "cert_0a1b2c3d4e5f6789",
        "created_at": AT,
    },
    "funding.entitlement.approved.v1": {
        "entitlement_id": "e1",
        "uscc": USCC,
        "policy_code": "GS-2026-SRDI",
        "amount_fen": 50_000_000,
        "approved_at": AT,
    },
    "funding.payment.settled.v1": {
        "payment_id": "p1",
        "entitlement_id": "e1",
        "uscc": USCC,
        "amount_fen": 50_000_000,
        "settled_on": "2026-11-24",
    },
    "funding.entitlement.paid.v1": {
        "entitlement_id": "e1",
        "uscc": USCC,
        "policy_code": "GS-ZJTX-PROV-FIRST",
        "amount_fen": 30_000_000,
        "batch_id": "pay_0a1b2c3d4e5f",
        "paid_on": "2026-11-24",
        "bank_reference": "ICBC-20261124-0001",
    },
    "funding.entitlement.failed.v1": {
        "entitlement_id": "e1",
        "uscc": USCC,
        "policy_code": "GS-ZJTX-PROV-FIRST",
        "amount_fen": 30_000_000,
        "batch_id": "pay_0a1b2c3d4e5f",
        "failed_on": "2026-11-24",
        "reason": "账户已销户 / account closed",
    },
    "funding.clawback.raised.v1": {
        "clawback_id": "k1",
        "uscc": USCC,
        "amount_fen": 50_000_000,
        "reason": "false declaration",
    },
    "funding.clawback.recovered.v1": {
        "clawback_id": "k1",
        "uscc": USCC,
        "amount_fen": 20_000_000,
        "recovered_fen": 20_000_000,
        "outstanding_fen": 30_000_000,
        "status": "partially_recovered",
        "received_on": "2026-11-24",
        "receipt_ref": "GK-2026-0001",
    },
    "finance-matching.loan.reported.v1": {
        "report_id": "r1",
        "uscc": USCC,
        "institution_id": "bank-1",
        "outcome": "granted",
        "amount_fen": 100_000_000,
        "annual_rate": "0.0385",
        "term_months": 12,
        "reported_at": AT,
    },
    "finance-matching.need.matched.v1": {
        "need_id": "need_0123456789ab",
        "uscc": USCC,
        "amount_fen": 300_000_000,
        "term_months": 24,
        "matches": [
            {"institution_id": "inst_0123456789ab", "product_id": "prod_0123456789ab", "score": 100}
        ],
        "weights_version": "2026-11-26",
        "matched_at": AT,
    },
    "finance-matching.snapshot.published.v1": {
        "snapshot_id": "snap_0123456789ab",
        "institution_id": "inst_0123456789ab",
        "trigger": "scheduled",
        "entry_count": 1520,
        "product_count": 12,
        "cursor": 4711,
        "content_sha256": "0" * 64,
        "generated_at": AT,
    },
    "finance-matching.enterprise-push.published.v1": {
        "push_id": "push_0123456789abcdef",
        "uscc": USCC,
        "period": "2026-11",
        "trigger": "scheduled",
        "tier": "specialised",
        "institution_count": 2,
        "product_count": 3,
        "content_sha256": "0" * 64,
        "generated_at": AT,
    },
    **{
        f"complaints.case.{verb}.v1": {
            "case_id": "k1",
            "uscc": USCC,
            "party_role": "respondent",
            "amount_owed_fen": 1_000_000,
            "status": verb,
            "occurred_at": AT,
        }
        for verb in (
            "received",
            "accepted",
            "not-accepted",
            "transferred",
            "returned",
            "resolved",
            "closed",
            "overdue",
        )
    },
    **{
        f"complaints.demand.{verb}.v1": {
            "demand_id": "dem_1",
            "uscc": USCC,
            "topic_code": "land",
            "status": verb,
            "department_id": "gs-620100-land",
            "occurred_at": AT,
        }
        for verb in ("recorded", "assigned", "answered", "reopened", "closed", "overdue")
    },
}
# A change each model and the committed schema must both refuse.
BREAKS: dict[str, tuple[str, Any]] = {
    "uscc": ("uscc", "not-a-uscc"),
    "version": ("version", 0),
    "amount": ("amount_fen", -1),
}


def test_there_is_a_sample_for_every_contract() -> None:
    assert set(SAMPLES) == set(EVENT_MODELS)


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_a_producers_data_reads_and_writes_back_byte_for_byte(event_type: str) -> None:
    model = model_for(event_type)
    data = SAMPLES[event_type]
    validate_event_data(event_type, data)
    assert model.parse(data).to_event_data() == data
    body = CloudEvent(type=event_type, source="/sme/x", data=data).body()
    assert json.loads(body) == data


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_data_the_schema_refuses_the_model_refuses_too(event_type: str) -> None:
    model = model_for(event_type)
    required = schema_for(event_type)["required"]
    for field in required:
        broken = {k: v for k, v in SAMPLES[event_type].items() if k != field}
        with pytest.raises(EventSchemaError):
            validate_event_data(event_type, broken)
        with pytest.raises(EventSchemaError, match=field):
            model.parse(broken)
    for field, value in BREAKS.values():
        if field in SAMPLES[event_type]:
            broken = {**SAMPLES[event_type], field: value}
            with pytest.raises(EventSchemaError):
                validate_event_data(event_type, broken)
            with pytest.raises(EventSchemaError):
                model.parse(broken)


def test_timestamps_keep_their_offset_spelled_out_as_isoformat_writes_it() -> None:
    data = {**SAMPLES["registry.enterprise.registered.v1"]}
    utc = datetime(2026, 11, 24, 8, 0, 0, 5, tzinfo=UTC)
    shanghai = datetime(2026, 11, 24, 16, tzinfo=timezone(timedelta(hours=8)))
    for at in (utc, shanghai):
        sent = EnterpriseRegisteredV1.model_validate({**data, "registered_at": at})
        assert sent.to_event_data()["registered_at"] == at.isoformat()
    assert utc.isoformat().endswith("+00:00")


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(EventSchemaError, match="registered_at"):
        EnterpriseRegisteredV1.parse(
            {**SAMPLES["registry.enterprise.registered.v1"], "registered_at": "2026-11-24T08:00"}
        )


def test_an_optional_field_never_null_is_left_out_and_a_nullable_one_is_sent_as_null() -> None:
    data = {
        k: v
        for k, v in SAMPLES["registry.enterprise.registered.v1"].items()
        if k not in ("operating_status", "legal_representative")
    }
    sent = EnterpriseRegisteredV1.model_validate(data).to_event_data()
    assert "operating_status" not in sent
    assert sent["legal_representative"] is None
    validate_event_data("registry.enterprise.registered.v1", sent)


def test_nested_parts_keep_only_the_keys_they_were_given() -> None:
    """A size decision's figures name only the metrics of its industry's row: the contract adds none."""
    data = SAMPLES["registry.enterprise.size-class-changed.v1"]
    sent = SizeClassChangedV1.parse(data).to_event_data()
    assert sent["explanation"] == data["explanation"]
    facts = FactsFiledV1.parse(SAMPLES["registry.enterprise.facts-filed.v1"]).to_event_data()
    assert set(facts["facts"]) == set(SAMPLES["registry.enterprise.facts-filed.v1"]["facts"])


def test_consumers_keep_fields_they_do_not_know_and_producers_may_not_send_them() -> None:
    data = {**SAMPLES["registry.enterprise.registered.v1"], "added_in_v1_later": "x"}
    read = EnterpriseRegisteredV1.parse(data)
    assert read.model_extra == {"added_in_v1_later": "x"}
    with pytest.raises(EventContractError, match="added_in_v1_later"):
        read.to_event_data()


def test_a_wrong_type_is_a_schema_error_naming_the_field_not_the_value() -> None:
    data = copy.deepcopy(SAMPLES["registry.enterprise.facts-filed.v1"])
    data["facts"]["employees"] = "一百二十"
    with pytest.raises(EventSchemaError) as raised:
        FactsFiledV1.parse(data)
    assert "facts/employees" in str(raised.value)
    assert "一百二十" not in str(raised.value)


def test_each_schema_names_where_its_producer_serves_it() -> None:
    for event_type, model in EVENT_MODELS.items():
        document = model.json_schema_document()
        assert document["$id"] == schema_path(event_type) == schema_for(event_type)["$id"]
        assert document["x-producer"] == event_type.split(".")[0]


def test_dataschema_becomes_absolute_only_where_the_platforms_address_is_known() -> None:
    event = CloudEvent(
        type="registry.enterprise.registered.v1",
        source="/sme/registry",
        data=SAMPLES["registry.enterprise.registered.v1"],
    )
    assert event.with_public_base_url(None) is event
    absolute = event.with_public_base_url("https://sme.example.gov.cn/")
    assert absolute.dataschema == (
        "https://sme.example.gov.cn/api/registry/v1/event-schemas/registry.enterprise.registered.v1"
    )
    assert absolute.dataschema == schema_url(event.type, "https://sme.example.gov.cn")
    assert (absolute.id, absolute.data, absolute.time) == (event.id, event.data, event.time)
    elsewhere = CloudEvent(
        type=event.type, source=event.source, data=event.data, dataschema="urn:x"
    )
    assert elsewhere.with_public_base_url("https://sme.example.gov.cn").dataschema == "urn:x"


def test_dates_are_read_as_dates() -> None:
    granted = model_for("certification.certificate.granted.v1").parse(
        SAMPLES["certification.certificate.granted.v1"]
    )
    assert granted.model_dump()["issued_on"] == date(2026, 1, 1)
