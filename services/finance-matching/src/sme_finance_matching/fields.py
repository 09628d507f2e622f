"""Request field types shared by the service's modules."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from sme_common.api import as_code
from sme_common.ids import USCC_PATTERN, UsccError, validate_uscc
from sme_common.text import CLEAN_TEXT


def _valid_uscc(value: str) -> str:
    try:
        return validate_uscc(value)
    except UsccError as exc:
        raise PydanticCustomError("uscc_invalid", exc.detail) from None


Uscc = Annotated[
    str,
    BeforeValidator(as_code),
    StringConstraints(pattern=USCC_PATTERN),
    AfterValidator(_valid_uscc),
]
"""统一社会信用代码 (GB 32100-2015), check character verified."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=200), CLEAN_TEXT]
FreeText = Annotated[str, StringConstraints(min_length=1, max_length=2000), CLEAN_TEXT]
UnitCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
"""A GB/T 2260 code: a province (620000) or a 市州 (620100)."""
AmountFen = Annotated[int, Field(ge=1, le=10**14)]
"""Money in fen (分), at most 1万亿元."""
TermMonths = Annotated[int, Field(ge=1, le=600)]
Ratio = Annotated[Decimal, Field(ge=0, le=1, max_digits=7, decimal_places=6)]
"""A ratio as a decimal string (``"0.0385"`` is 3.85 %), at most six decimals."""
RefId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
