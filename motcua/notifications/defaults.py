"""The message templates shipped with motcua: version 1 of each event's message.

Data, not code: `message_templates_ensure_seeded()` copies them into MessageTemplate
rows once, after which administrators edit them in the admin (each save is a new
version). The SMS texts are written with diacritics and fit one GSM-7 segment
with the sample context below once folded (the default route), two UCS-2 parts
when sent as Unicode; the supplement request, which names the papers asked for,
may take two GSM-7 parts (and is shortened before its link on a Unicode route).
The Zalo parameters follow the ZNS rule
of short values (a code or a name, at most a few dozen characters).

Context keys come from the services that write the outbox rows
(motcua.dossiers.actions.runner.notice_new: code, procedure, applicant, agency, link, and
the event's own values) and from the deadline jobs (reminder, leader_digest).

Every message about a dossier ends with `link`, the dossier's short link (/h/<token>,
absolute on NOTIFY_SITE_URL, empty while that is not set): it opens the applicant's
page once signed in, public tracking otherwise. It comes last so that a text too long
for the route is shortened before it (rendering.render_sms never cuts it).
"""

from __future__ import annotations

from typing import Any

_SIGNATURE = "\n\nTrân trọng,\n{{ agency }}\n(Thư tự động, vui lòng không trả lời.)"
# The dossier's short link in an e-mail, on its own line before the signature.
_LINK = "{% if link %}\nXem hồ sơ: {{ link }}{% endif %}"
# ... and at the end of an SMS: the link alone, the words before it say what it shows.
_SMS_LINK = "{% if link %} {{ link }}{% endif %}"

DEFAULT_TEMPLATES: dict[str, dict[str, Any]] = {
    "otp": {
        "description": "Mã đăng nhập một lần (OTP)",
        "subject": "Mã đăng nhập Cổng dịch vụ công: {{ code }}",
        "email_body": (
            "Mã đăng nhập của ông/bà là {{ code }}. Mã có hiệu lực {{ minutes }} phút.\n"
            "Không đưa mã này cho bất kỳ ai, kể cả cán bộ."
        ),
        "sms_body": (
            "Mã đăng nhập Cổng dịch vụ công: {{ code }}. Hiệu lực {{ minutes }} phút. "
            "Không đưa mã này cho bất kỳ ai."
        ),
        "zalo_template_id": "",
        "zalo_params": {},
    },
    # The code may go to a relative's or a neighbour's phone (motcua.filing.assisted), so
    # it names whose dossier it confirms: `applicant` with `honorific` ("bà", "ông").
    # The SMS leaves out the validity to stay one part with the longest sample values.
    "filing_confirm": {
        "description": "Mã xác nhận hồ sơ cán bộ một cửa nộp giúp (OTP)",
        "subject": "Mã xác nhận hồ sơ: {{ code }}",
        "email_body": (
            "Mã xác nhận hồ sơ{% if applicant %} của {% if honorific %}{{ honorific }} "
            "{% endif %}{{ applicant }}{% endif %} là {{ code }}. Mã có hiệu lực {{ minutes }} "
            "phút.\nCán bộ {{ agency }} đang nộp hồ sơ trực tuyến giúp người nộp. Chỉ đọc mã "
            "này cho cán bộ khi người nộp hồ sơ đang có mặt và đồng ý nộp."
        ),
        "sms_body": (
            "Mã xác nhận hồ sơ{% if applicant %} của {% if honorific %}{{ honorific }} "
            "{% endif %}{{ applicant }}{% endif %}: {{ code }}. {{ agency }} đang nộp giúp. "
            "Chỉ đọc mã khi người nộp đồng ý."
        ),
        "zalo_template_id": "",
        "zalo_params": {},
    },
    "filed": {
        "description": "Hồ sơ đã nộp trực tuyến, chờ tiếp nhận",
        "subject": "Đã nhận hồ sơ trực tuyến {{ code }}",
        "email_body": (
            "Kính gửi {{ applicant }},\n\n"
            "Hồ sơ {{ code }} ({{ procedure }}) của ông/bà đã được gửi trực tuyến đến "
            "{{ agency }}.\n"
            "Cán bộ sẽ kiểm tra hồ sơ và báo cho ông/bà khi tiếp nhận, hoặc khi cần bổ sung "
            "giấy tờ. Ông/bà xem tình trạng hồ sơ tại mục \"Hồ sơ của tôi\" trên Cổng dịch vụ "
            "công, hoặc tra cứu bằng mã hồ sơ."
            + _LINK
            + _SIGNATURE
        ),
        "sms_body": "Đã gửi hồ sơ {{ code }}. Cán bộ sẽ báo khi tiếp nhận." + _SMS_LINK,
        "zalo_template_id": "",
        "zalo_params": {"ma_ho_so": "{{ code }}"},
    },
    "draft_link": {
        "description": "Đường dẫn để nộp tiếp hồ sơ đang khai",
        "subject": "Nộp tiếp hồ sơ {{ procedure }}",
        "email_body": (
            "Ông/bà đang khai hồ sơ {{ procedure }} trên Cổng dịch vụ công.\n"
            "Mở đường dẫn sau để khai tiếp, các câu đã trả lời vẫn được giữ:\n{{ url }}\n"
            "Không đưa đường dẫn này cho người khác."
        ),
        "sms_body": "Khai tiep ho so: {{ url }}",
        "zalo_template_id": "",
        "zalo_params": {},
    },
    # Retention (motcua.filing.drafts.drafts_expiry_notice_send): one notice before an
    # unfinished form is deleted. `url` goes straight back to the form (e-mail); `link`,
    # shorter, to the list of unfinished forms (SMS: on a Unicode route a long link
    # would leave no room for the date). The SMS is shortened before the link, from the
    # procedure's name, never through the date.
    "draft_expiry": {
        "description": "Báo trước khi xoá hồ sơ khai dở, chưa gửi",
        "subject": "Hồ sơ {{ procedure }} ông/bà đang khai sẽ bị xoá từ ngày {{ date }}",
        "email_body": (
            "Ông/bà đã bắt đầu khai hồ sơ {{ procedure }} trên Cổng dịch vụ công nhưng chưa "
            "gửi.\n"
            "Để bảo vệ thông tin cá nhân, hồ sơ chưa gửi và ảnh giấy tờ đã tải lên sẽ bị xoá "
            "từ ngày {{ date }}.\n"
            "Nếu muốn giữ lại, mời ông/bà khai tiếp trước ngày đó"
            "{% if url %}:\n{{ url }}{% else %} trên Cổng dịch vụ công.{% endif %}\n"
            "Nếu không cần nữa, ông/bà không phải làm gì."
            "\n\n(Thư tự động, vui lòng không trả lời.)"
        ),
        "sms_body": (
            "Hồ sơ ông/bà khai dở sẽ bị xoá từ ngày {{ date }}. Để giữ lại, mời "
            "khai tiếp hồ sơ {{ procedure }}"
            "{% if link %}: {{ link }}{% else %} trên Cổng dịch vụ công.{% endif %}"
        ),
        "zalo_template_id": "",
        "zalo_params": {},
    },
    "received": {
        "description": "Hồ sơ đã được tiếp nhận (phiếu 01)",
        "subject": "Hồ sơ {{ code }} đã được tiếp nhận",
        "email_body": (
            "Kính gửi {{ applicant }},\n\n"
            "{% if after_supplement %}Hồ sơ bổ sung của ông/bà đã đủ. {% endif %}"
            "Hồ sơ {{ code }} ({{ procedure }}) đã được tiếp nhận."
            "{% if due_at %}\nThời gian hẹn trả kết quả: {{ due_at|vn_datetime }}.{% endif %}\n"
            "Ông/bà có thể tra cứu tình trạng hồ sơ bằng mã hồ sơ trên Cổng dịch vụ công."
            + _LINK
            + _SIGNATURE
        ),
        "sms_body": (
            "Hồ sơ {{ code }} đã được tiếp nhận."
            "{% if due_at %} Hẹn trả kết quả {{ due_at|vn_datetime }}.{% endif %}" + _SMS_LINK
        ),
        "zalo_template_id": "",
        "zalo_params": {"ma_ho_so": "{{ code }}", "ngay_hen": "{{ due_at|vn_datetime }}"},
    },
    "supplement_requested": {
        "description": "Yêu cầu bổ sung hồ sơ (phiếu 02)",
        "subject": "Hồ sơ {{ code }} cần bổ sung giấy tờ",
        "email_body": (
            "Kính gửi {{ applicant }},\n\n"
            "Hồ sơ {{ code }} ({{ procedure }}) cần bổ sung, hoàn thiện"
            "{% if before_reception %} trước khi được tiếp nhận{% endif %}:\n"
            "{{ missing|bullets }}\n"
            "{% if contact %}Người hướng dẫn: {{ contact }}.\n{% endif %}"
            "Thời gian chờ bổ sung không tính vào thời hạn giải quyết." + _LINK + _SIGNATURE
        ),
        # The papers asked for, by name: the first two, then how many more. The one text
        # that may take two GSM-7 parts: what to bring is the message.
        "sms_body": (
            "Hồ sơ {{ code }} cần bổ sung"
            "{% if missing %}: {{ missing|papers_short }}.{% else %} giấy tờ.{% endif %}"
            "{% if link %} Xem: {{ link }}{% else %} Xem trên Cổng dịch vụ công.{% endif %}"
        ),
        "zalo_template_id": "",
        "zalo_params": {"ma_ho_so": "{{ code }}", "noi_dung": "{{ missing|joined }}"},
    },
    "fee_requested": {
        "description": "Yêu cầu nộp phí, lệ phí",
        "subject": "Hồ sơ {{ code }}: đề nghị nộp phí, lệ phí",
        "email_body": (
            "Kính gửi {{ applicant }},\n\n"
            "Để tiếp tục giải quyết hồ sơ {{ code }} ({{ procedure }}), đề nghị ông/bà nộp "
            "{{ amount_vnd|vnd }} trực tuyến trên Cổng dịch vụ công hoặc tại bộ phận một cửa."
            + _LINK
            + _SIGNATURE
        ),
        # The link opens the dossier's page, where the fee is paid online.
        "sms_body": (
            "Hồ sơ {{ code }}: đề nghị nộp {{ amount_vnd|vnd }} phí, lệ phí"
            "{% if link %}. Nộp trực tuyến: {{ link }}{% else %} để tiếp tục giải quyết."
            "{% endif %}"
        ),
        "zalo_template_id": "",
        "zalo_params": {"ma_ho_so": "{{ code }}", "so_tien": "{{ amount_vnd|vnd }}"},
    },
    "payment_received": {
        "description": "Đã nhận phí, lệ phí",
        "subject": "Hồ sơ {{ code }}: đã nhận phí, lệ phí",
        "email_body": (
            "Kính gửi {{ applicant }},\n\n"
            "Đã nhận {{ amount_vnd|vnd }} cho hồ sơ {{ code }} ({{ procedure }})."
            "{% if due_at %}\nThời gian hẹn trả kết quả: {{ due_at|vn_datetime }}.{% endif %}"
            + _LINK
            + _SIGNATURE
        ),
        "sms_body": (
            "Đã nhận {{ amount_vnd|vnd }}, hồ sơ {{ code }}."
            "{% if due_at %} Hẹn trả {{ due_at|vn_datetime }}.{% endif %}" + _SMS_LINK
        ),
        "zalo_template_id": "",
        "zalo_params": {"ma_ho_so": "{{ code }}", "so_tien": "{{ amount_vnd|vnd }}"},
    },
    "apology": {
        "description": "Xin lỗi và hẹn lại ngày trả kết quả (phiếu 04)",
        "subject": "Hồ sơ {{ code }}: xin lỗi và hẹn lại ngày trả kết quả",
        "email_body": (
            "Kính gửi {{ applicant }},\n\n"
            "{{ agency }} thành thật xin lỗi ông/bà: hồ sơ {{ code }} ({{ procedure }}) "
            "chưa thể trả kết quả đúng hẹn.\n"
            "Lý do: {{ reason }}\n"
            "Thời gian hẹn trả kết quả mới: {{ new_due_at|vn_datetime }}.\n"
            "Mong ông/bà thông cảm." + _LINK + _SIGNATURE
        ),
        "sms_body": (
            "Xin lỗi ông/bà: hồ sơ {{ code }} trễ hẹn, hẹn lại {{ new_due_at|vn_datetime }}."
            + _SMS_LINK
        ),
        "zalo_template_id": "",
        "zalo_params": {"ma_ho_so": "{{ code }}", "ngay_hen": "{{ new_due_at|vn_datetime }}"},
    },
    "result_ready": {
        "description": "Đã có kết quả giải quyết",
        "subject": "Hồ sơ {{ code }} đã có kết quả",
        "email_body": (
            "Kính gửi {{ applicant }},\n\n"
            "Hồ sơ {{ code }} ({{ procedure }}) đã có kết quả. Ông/bà nhận kết quả theo "
            "hình thức đã đăng ký (tại bộ phận một cửa, qua bưu chính hoặc trực tuyến)."
            + _LINK
            + _SIGNATURE
        ),
        "sms_body": (
            "Hồ sơ {{ code }} đã có kết quả, nhận theo hình thức ông/bà đã đăng ký."
            + _SMS_LINK
        ),
        "zalo_template_id": "",
        "zalo_params": {"ma_ho_so": "{{ code }}"},
    },
    "returned": {
        "description": "Đã trả kết quả",
        "subject": "Hồ sơ {{ code }} đã được trả kết quả",
        "email_body": (
            "Kính gửi {{ applicant }},\n\n"
            "Kết quả hồ sơ {{ code }} ({{ procedure }}) đã được trả"
            "{% if electronic %}; bản điện tử được lưu trong kho dữ liệu của ông/bà để dùng "
            "lại cho các thủ tục sau{% endif %}.\n"
            "Mời ông/bà đánh giá mức độ hài lòng trên Cổng dịch vụ công." + _LINK + _SIGNATURE
        ),
        "sms_body": (
            "Hồ sơ {{ code }} đã được trả kết quả. Mời ông/bà đánh giá mức độ hài lòng"
            "{% if link %}: {{ link }}{% else %} trên Cổng dịch vụ công.{% endif %}"
        ),
        "zalo_template_id": "",
        "zalo_params": {"ma_ho_so": "{{ code }}"},
    },
    "refused": {
        "description": "Từ chối hồ sơ (phiếu 03)",
        "subject": (
            "Hồ sơ {{ code }} không được "
            "{% if at_reception %}tiếp nhận{% else %}giải quyết{% endif %}"
        ),
        "email_body": (
            "Kính gửi {{ applicant }},\n\n"
            "Hồ sơ {{ code }} ({{ procedure }}) không được "
            "{% if at_reception %}tiếp nhận{% else %}giải quyết{% endif %} vì:\n"
            "{{ reasons|bullets }}" + _LINK + _SIGNATURE
        ),
        "sms_body": (
            "Hồ sơ {{ code }} không được {% if at_reception %}tiếp nhận{% else %}giải quyết"
            "{% endif %}.{% if link %} Xem lý do: {{ link }}{% else %} Lý do xem trên Cổng "
            "dịch vụ công.{% endif %}"
        ),
        "zalo_template_id": "",
        "zalo_params": {"ma_ho_so": "{{ code }}", "ly_do": "{{ reasons|joined }}"},
    },
    "withdrawn": {
        "description": "Dừng xử lý theo đề nghị rút hồ sơ",
        "subject": "Hồ sơ {{ code }} đã dừng xử lý",
        "email_body": (
            "Kính gửi {{ applicant }},\n\n"
            "Theo đề nghị của ông/bà, hồ sơ {{ code }} ({{ procedure }}) đã dừng xử lý."
            + _LINK
            + _SIGNATURE
        ),
        "sms_body": (
            "Hồ sơ {{ code }} đã dừng xử lý theo đề nghị rút hồ sơ của ông/bà." + _SMS_LINK
        ),
        "zalo_template_id": "",
        "zalo_params": {"ma_ho_so": "{{ code }}"},
    },
    "withdrawal_declined": {
        "description": "Trả lời đề nghị rút hồ sơ: không dừng được, tiếp tục giải quyết",
        "subject": "Hồ sơ {{ code }}: trả lời đề nghị rút hồ sơ",
        "email_body": (
            "Kính gửi {{ applicant }},\n\n"
            "Đề nghị rút hồ sơ {{ code }} ({{ procedure }}) của ông/bà không thực hiện được vì:\n"
            "{{ reasons|bullets }}\n"
            "Hồ sơ tiếp tục được giải quyết." + _LINK + _SIGNATURE
        ),
        "sms_body": (
            "Hồ sơ {{ code }}: chưa rút được, hồ sơ tiếp tục được giải quyết."
            "{% if link %} Xem lý do: {{ link }}{% else %} Lý do xem trên Cổng dịch vụ công."
            "{% endif %}"
        ),
        "zalo_template_id": "",
        "zalo_params": {"ma_ho_so": "{{ code }}", "ly_do": "{{ reasons|joined }}"},
    },
    "reminder": {
        "description": "Nhắc cán bộ: hồ sơ sắp đến hạn (còn 1 ngày làm việc)",
        "subject": "Sắp đến hạn: hồ sơ {{ code }} ({{ due_at|vn_datetime }})",
        "email_body": (
            "Kính gửi {{ officer }},\n\n"
            "Hồ sơ {{ code }} ({{ procedure }}) của {{ applicant }} đến hạn trả kết quả lúc "
            "{{ due_at|vn_datetime }}, còn chưa đến 1 ngày làm việc.\n"
            "{% if url %}Mở hồ sơ: {{ url }}\n{% endif %}"
            "Nếu không kịp, hồ sơ sẽ bị tính là trễ hạn."
            "\n\n(Thư tự động của hệ thống một cửa điện tử.)"
        ),
        "sms_body": "Hồ sơ {{ code }} đến hạn {{ due_at|vn_datetime }}, còn dưới 1 ngày làm việc.",
        "zalo_template_id": "",
        "zalo_params": {},
    },
    "leader_digest": {
        "description": "Tin tóm tắt hằng ngày cho lãnh đạo",
        "subject": "Tình hình giải quyết hồ sơ ngày {{ date }}",
        "email_body": (
            "Kính gửi {{ leader }},\n\n"
            "Tình hình giải quyết hồ sơ ngày {{ date }}:\n"
            "{% for row in agencies %}\n"
            "{{ row.name }}\n"
            "- Đang trễ hạn: {{ row.overdue_count }}"
            "{% if row.overdue %} ({{ row.overdue|joined:', ' }}){% endif %}\n"
            "- Sắp trễ, cần xin lỗi và hẹn lại trước 1 ngày làm việc: {{ row.at_risk_count }}"
            "{% for item in row.at_risk %}\n  + {{ item.code }}, hạn {{ item.due_at|vn_datetime }}"
            "{% endfor %}\n"
            "- Thông báo gửi không thành công: {{ row.failed_notifications }}\n"
            "{% endfor %}"
            "\n(Thư tự động của hệ thống một cửa điện tử.)"
        ),
        "sms_body": "",
        "zalo_template_id": "",
        "zalo_params": {},
    },
}

# Values as long as real ones get: used to check that an edited SMS text still fits.
SAMPLE_CONTEXT: dict[str, Any] = {
    "code": "000.00.32.H37-260213-0001",
    "procedure": "Đăng ký khai sinh",
    "applicant": "Nguyễn Thị Phương Thảo",
    "agency": "Trung tâm Phục vụ hành chính công phường Lào Cai",
    "due_at": "2026-02-24T09:10:00+00:00",
    "new_due_at": "2026-03-03T09:10:00+00:00",
    "after_supplement": False,
    "missing": [
        "Tờ khai đăng ký khai sinh (bản chính)",
        "Giấy chứng sinh (bản chính): bản đã nộp bị mờ, không đọc được",
        "Giấy tờ chứng minh nơi cư trú",
    ],
    "contact": "Nguyễn Thị Hoa, 0214 3840 000",
    "amount_vnd": 1500000,
    "reason": "Cần xác minh thêm thông tin với cơ quan công an.",
    "reasons": ["Không thuộc thẩm quyền giải quyết."],
    "at_reception": True,
    "outcome": "granted",
    "electronic": True,
    "officer": "Nguyễn Văn Bình",
    "url": "https://motcua.laocai.gov.vn/mot-cua/ho-so/000.00.32.H37-260213-0001/",
    # A dossier id in the ten millions and its check (motcua.dossiers.models.short_token_pk).
    "link": "https://motcua.laocai.gov.vn/h/5yc1sk2x",
    "leader": "Trần Văn Cường",
    "date": "24/02/2026",
    "agencies": [
        {
            "name": "UBND phường Lào Cai",
            "overdue_count": 1,
            "overdue": ["000.00.32.H37-260210-0003"],
            "at_risk_count": 1,
            "at_risk": [
                {"code": "000.00.32.H37-260211-0002", "due_at": "2026-02-25T09:00:00+00:00"}
            ],
            "failed_notifications": 0,
        }
    ],
}
