"""Realistic slip contexts (a Lào Cai commune's one-stop desk) for the slip tests.

Session-scoped: the dataclasses are frozen, and rendering once per form is enough.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from motcua.dossiers.slips import (
    SlipAgency,
    SlipApplicant,
    SlipContext,
    SlipPaper,
    SlipRegisterRow,
    SlipStep,
)

TRACKING_URL = "https://dichvucong.laocai.gov.vn/tra-cuu/000.00.04.G18-260225-0007"
CODE = "000.00.04.G18-260225-0007"


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="session")
def agency() -> SlipAgency:
    return SlipAgency(
        name="Trung tâm Phục vụ hành chính công xã Bát Xát",
        parent_name="Ủy ban nhân dân xã Bát Xát",
        address="Số 1 đường Hùng Vương, xã Bát Xát, tỉnh Lào Cai",
        phone="0214 3883 188",
    )


@pytest.fixture(scope="session")
def applicant() -> SlipApplicant:
    return SlipApplicant(
        name="Nguyễn Thị Hường",
        address="Thôn Phìn Ngan, xã Bát Xát, tỉnh Lào Cai",
        phone="0912 345 678",
        email="huong.nguyen@example.vn",
        id_number="010190012345",
    )


@pytest.fixture(scope="session")
def full_context(agency: SlipAgency, applicant: SlipApplicant) -> SlipContext:
    """One context that carries every field, so each form can be rendered from it."""
    received = utc(2026, 2, 25, 9, 10)  # 16:10 in Vietnam
    due = utc(2026, 3, 2, 9, 10)
    return SlipContext(
        agency=agency,
        code=CODE,
        tracking_url=TRACKING_URL,
        procedure_name="Đăng ký khai sinh kết hợp đăng ký thường trú, cấp thẻ bảo hiểm y tế",
        applicant=applicant,
        papers=[
            SlipPaper("Tờ khai đăng ký khai sinh", "Bản chính", 1),
            SlipPaper("Giấy chứng sinh", "Bản chính", 1),
            SlipPaper("Giấy chứng nhận kết hôn của cha mẹ", "Bản sao chứng thực", 1),
            SlipPaper("Tờ khai thay đổi thông tin cư trú (CT01)", "Bản chính", 2),
        ],
        processing_time_text="03 ngày làm việc",
        received_at=received,
        due_at=due,
        result_place="Trung tâm Phục vụ hành chính công xã Bát Xát",
        register_book="02/2026",
        register_line="0147",
        officer_name="Lò Văn Thắng",
        reasons=[
            "Thủ tục không thuộc thẩm quyền giải quyết của Ủy ban nhân dân xã.",
            "Người yêu cầu không xuất trình được giấy tờ tùy thân còn giá trị sử dụng.",
        ],
        missing=[
            ("Giấy chứng sinh", "Bản đã nộp bị tẩy xóa ở phần ngày sinh; cần bản chính hợp lệ."),
            ("Tờ khai thay đổi thông tin cư trú (CT01)", "Thiếu chữ ký của chủ hộ."),
        ],
        contact="ông Lò Văn Thắng, Bộ phận Một cửa, điện thoại 0214 3883 188",
        delay_reason="Cần xác minh thông tin cư trú với Công an tỉnh Lào Cai.",
        new_due_at=utc(2026, 3, 5, 2, 0),
        steps=[
            SlipStep(
                "Công chức Tư pháp - Hộ tịch",
                utc(2026, 2, 25, 9, 30),
                utc(2026, 2, 26, 9, 30),
                utc(2026, 2, 26, 3, 0),
                "early",
            ),
            SlipStep(
                "Công an xã Bát Xát",
                utc(2026, 2, 26, 3, 15),
                utc(2026, 2, 27, 3, 15),
                utc(2026, 2, 27, 3, 15),
                "on_time",
            ),
            SlipStep(
                "Lãnh đạo UBND xã (ký duyệt)",
                utc(2026, 2, 27, 4, 0),
                utc(2026, 2, 27, 9, 0),
                utc(2026, 3, 2, 2, 0),
                "late",
            ),
        ],
        register_rows=[
            SlipRegisterRow(
                code=f"000.00.04.G18-2602{day:02d}-{line:04d}",
                procedure=procedure,
                applicant=name,
                agency="UBND xã Bát Xát",
                received_at=utc(2026, 2, day, 2, 30),
                due_at=utc(2026, 2, day + 3, 9, 0),
                transferred_at=utc(2026, 2, day, 7, 0),
                result=result,
                returned_at=utc(2026, 2, day + 2, 8, 0) if result.startswith("Đã") else None,
                note=note,
            )
            for day, line, procedure, name, result, note in [
                (2, 1, "Đăng ký khai sinh", "Hoàng Văn Sử", "Đã cấp Giấy khai sinh", ""),
                (3, 2, "Chứng thực bản sao từ bản chính", "Vàng Thị Mỷ", "Đã chứng thực", ""),
                (5, 3, "Đăng ký kết hôn", "Sùng A Páo", "Yêu cầu bổ sung", "Thiếu giấy XNTTHN"),
                (
                    9,
                    4,
                    "Cấp giấy chứng nhận quyền sử dụng đất lần đầu",
                    "Công ty TNHH Đức Hưng",
                    "Đang xử lý",
                    "Chuyển Văn phòng đăng ký đất đai",
                ),
                (12, 5, "Đăng ký thường trú", "Phạm Đình Quý", "Đã đăng ký", ""),
            ]
        ],
        period_label="Tháng 02 năm 2026",
        place="Bát Xát",
        issued_at=utc(2026, 2, 25, 9, 15),
    )
