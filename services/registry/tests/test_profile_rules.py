import pytest

from sme_registry.profile.domain import may_see_complaint


@pytest.mark.parametrize(
    ("party_role", "sees_complainants", "shown"),
    [
        ("complainant", True, True),
        ("complainant", False, False),
        ("respondent", False, True),
        ("respondent", True, True),
        (None, False, True),
    ],
)
def test_only_the_province_sees_that_an_enterprise_complained(
    party_role: str | None, sees_complainants: bool, shown: bool
) -> None:
    summary = {} if party_role is None else {"party_role": party_role}
    assert may_see_complaint(summary, sees_complainants=sees_complainants) is shown
