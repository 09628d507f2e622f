"""The printable certificate (PDF), set in a CJK font from Debian's packages (fpdf2 embeds the
subset it uses, so the file reads the same on any machine)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fpdf import FPDF

from sme_certification.certificates.domain import LEVELS_ZH, TITLES_ZH, grouped
from sme_certification.rules.facts import Level, Tier
from sme_common.errors import DomainError

FONT_FAMILY = "cjk"
INSTALL_HINT = "apt-get install fonts-wqy-zenhei (make test / make run do it as root)"

# fontTools reports every table of the collection it does not subset; nothing is wrong.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


class FontMissing(DomainError):
    """The configured CJK font is not on this machine: a 503 that names the fix."""

    status = 503

    def __init__(self, path: Path) -> None:
        super().__init__(
            "certificate_font_missing",
            f"The CJK font for certificates is not installed at {path}: {INSTALL_HINT}, or set "
            "SME_CERTIFICATION_CJK_FONT_PATH",
            f"证书所需的中文字体未安装（{path}）：请安装 fonts-wqy-zenhei，"
            "或设置 SME_CERTIFICATION_CJK_FONT_PATH",
            field="cjk_font_path",
        )


@dataclass(frozen=True)
class PrintedCertificate:
    number: str
    enterprise_name: str
    uscc: str
    tier: Tier
    level: Level
    issued_on: date
    expires_on: date
    verification_code: str
    issuer: str


def _zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def render(certificate: PrintedCertificate, *, font_path: Path, font_index: int = 0) -> bytes:
    if not font_path.is_file():
        raise FontMissing(font_path)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{TITLES_ZH[certificate.tier]} {certificate.number}")
    pdf.set_creator("SME platform — certification")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.add_font(FONT_FAMILY, "", str(font_path), collection_font_number=font_index)
    pdf.set_draw_color(160, 20, 20)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)

    def line(text: str, size: float, height: float, align: str = "C") -> None:
        pdf.set_font(FONT_FAMILY, size=size)
        pdf.cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")

    pdf.set_y(28)
    line(f"{LEVELS_ZH[certificate.level]}{TITLES_ZH[certificate.tier]}", 30, 18)
    line("认  定  证  书", 22, 14)
    pdf.ln(10)
    pdf.set_left_margin(40)
    pdf.set_right_margin(40)
    line(certificate.enterprise_name, 20, 14)
    line(f"统一社会信用代码：{certificate.uscc}", 13, 9)
    pdf.ln(4)
    line(
        f"经审核，认定为{LEVELS_ZH[certificate.level]}{TITLES_ZH[certificate.tier]}，特发此证。",
        14,
        10,
    )
    line(
        f"有效期：{_zh_date(certificate.issued_on)}至{_zh_date(certificate.expires_on)}",
        13,
        9,
    )
    pdf.ln(10)
    line(f"证书编号：{certificate.number}", 12, 8, align="L")
    line(f"验证码：{grouped(certificate.verification_code)}", 12, 8, align="L")
    line("可通过 /api/certification/v1/verify/{验证码} 查验证书状态", 10, 7, align="L")
    pdf.set_y(165)
    line(certificate.issuer, 14, 9, align="R")
    line(_zh_date(certificate.issued_on), 12, 8, align="R")
    return bytes(pdf.output())
