#!/usr/bin/env python
"""Benchmark of procedure search: latency against a bare database round-trip, and recall.

    .venv/bin/python bench/search.py [--database-url URL] [--procedures 2000] [--queries 1000]
                                     [--no-phrases]

Builds a catalog of realistic Vietnamese procedure names (the real sample names, the
Lào Cai demo catalog, real look-alikes such as "Đăng ký lại khai sinh", plus generated
field-specific variants of them) in a throwaway SQLite file, or in the database given
with --database-url (which must hold no procedures; everything the benchmark writes
there is rolled back). Then it times procedure_search() beside `SELECT 1` through the
same Django connection, measures top-1, top-3 and recall@10 on a labelled query set,
and times the database-index alternative (SQLite FTS5 or PostgreSQL pg_trgm over the
folded text) on the same queries, for the choice documented in motcua/catalog/search.py.

The labelled set includes queries in people's words ("cắt khẩu", "làm sổ đỏ", "birth
registration"). They are measured twice in one run: first with an empty vocabulary of
everyday names, then after loading motcua/catalog/data/search_phrases.json the way
`load_demo` does. --no-phrases stops after the first measurement (and never touches
the vocabulary's table, so it also runs against code that has none).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "motcua" / "catalog" / "data"
SAMPLE_PATHS = [DATA / "catalog_sample.json", Path("/work/shared/data/catalog_sample.json")]
DEMO_PATH = DATA / "lao_cai_demo.json"  # the demo's codes (9.9000xx), so the vocabulary resolves
PHRASES_PATH = DATA / "search_phrases.json"

# Real procedure names missing from the sample and the demo: the look-alikes of
# "Đăng ký khai sinh", names with the spellings the query set exercises (ký/kí, lý/lí,
# mỹ/mĩ, hòa/hoà, thủy/thuỷ), and procedures of fields the demo catalog lacks (vehicle
# registration, people with meritorious service, education, employment, tax), which
# everyday names point at. Codes starting with 8. are bench identifiers, not national
# codes. An entry whose name the demo catalog already has is dropped and its code read
# as the demo's (see build_catalog).
EXTRA: list[tuple[str, str, str]] = [
    ("1.004884", "Đăng ký lại khai sinh", "Hộ tịch"),
    ("1.001695", "Đăng ký khai sinh có yếu tố nước ngoài", "Hộ tịch"),
    ("1.000689", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con", "Hộ tịch"),
    ("1.000656", "Đăng ký khai tử", "Hộ tịch"),
    ("8.000001", "Đăng ký nhận cha, mẹ, con", "Hộ tịch"),
    ("8.000002", "Thay đổi, cải chính, bổ sung thông tin hộ tịch", "Hộ tịch"),
    ("8.000003", "Cấp Giấy xác nhận tình trạng hôn nhân", "Hộ tịch"),
    ("8.000004", "Đăng ký giám hộ", "Hộ tịch"),
    ("8.000005", "Đăng ký khai sinh lưu động", "Hộ tịch"),
    (
        "8.000006",
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú "
        "tại Việt Nam",
        "Lý lịch tư pháp",
    ),
    ("8.000007", "Hòa giải tranh chấp đất đai", "Đất đai"),
    (
        "8.000008",
        "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        "Đất đai",
    ),
    ("8.000009", "Cấp đổi Giấy chứng nhận quyền sử dụng đất", "Đất đai"),
    ("8.000010", "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "An toàn thực phẩm"),
    (
        "8.000011",
        "Cấp số tiếp nhận Phiếu công bố sản phẩm mỹ phẩm sản xuất trong nước",
        "Dược phẩm, mỹ phẩm",
    ),
    (
        "8.000012",
        "Cấp Giấy chứng nhận đủ điều kiện hoạt động kiểm định kỹ thuật an toàn lao động",
        "An toàn, vệ sinh lao động",
    ),
    (
        "8.000013",
        "Cấp giấy phép cho các hoạt động trong phạm vi bảo vệ công trình thủy lợi",
        "Thủy lợi",
    ),
    ("8.000014", "Xét tặng danh hiệu Gia đình văn hóa", "Văn hóa cơ sở"),
    ("8.000015", "Chuyển trường đối với học sinh trung học cơ sở", "Giáo dục trung học"),
    ("8.000016", "Trợ giúp xã hội khẩn cấp về hỗ trợ làm nhà ở", "Bảo trợ xã hội"),
    ("8.000017", "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hàng tháng", "Bảo trợ xã hội"),
    ("8.000018", "Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh"),
    (
        "8.000019",
        "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
        "Thành lập và hoạt động của hộ kinh doanh",
    ),
    (
        "8.000020",
        "Cấp Giấy chứng nhận đủ điều kiện sản xuất vàng trang sức, mỹ nghệ",
        "Quản lý ngoại hối",
    ),
    ("8.000021", "Giải quyết chế độ mai táng phí đối với cựu chiến binh", "Người có công"),
    (
        "8.000022",
        "Cấp giấy phép khai thác khoáng sản làm vật liệu xây dựng thông thường",
        "Địa chất và khoáng sản",
    ),
    ("8.000023", "Đăng ký hoạt động tín ngưỡng", "Tín ngưỡng, tôn giáo"),
    ("8.000024", "Cấp giấy phép kinh doanh karaoke", "Văn hóa"),
    ("8.000101", "Tách hộ", "Đăng ký, quản lý cư trú"),
    ("8.000102", "Cấp đổi thẻ căn cước", "Căn cước"),
    ("8.000103", "Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm", "Giảm nghèo"),
    ("8.000104", "Đăng ký xe lần đầu", "Đăng ký, quản lý phương tiện giao thông"),
    ("8.000105", "Đăng ký sang tên xe", "Đăng ký, quản lý phương tiện giao thông"),
    (
        "8.000106",
        "Cấp đổi chứng nhận đăng ký xe, biển số xe",
        "Đăng ký, quản lý phương tiện giao thông",
    ),
    (
        "8.000107",
        "Cấp lại chứng nhận đăng ký xe, biển số xe",
        "Đăng ký, quản lý phương tiện giao thông",
    ),
    (
        "8.000108",
        "Thu hồi chứng nhận đăng ký xe, biển số xe",
        "Đăng ký, quản lý phương tiện giao thông",
    ),
    ("8.000109", "Đổi giấy phép lái xe", "Đăng ký, quản lý phương tiện giao thông"),
    ("8.000110", "Cấp lại giấy phép lái xe", "Đăng ký, quản lý phương tiện giao thông"),
    ("8.000111", "Giải quyết chế độ trợ cấp thờ cúng liệt sĩ", "Người có công"),
    (
        "8.000112",
        "Cấp giấy giới thiệu đi thăm viếng mộ liệt sĩ và hỗ trợ thăm viếng mộ liệt sĩ",
        "Người có công",
    ),
    (
        "8.000113",
        "Giải quyết chế độ ưu đãi đối với người hoạt động kháng chiến bị nhiễm chất độc "
        "hóa học",
        "Người có công",
    ),
    ("8.000114", "Chuyển trường đối với học sinh tiểu học", "Giáo dục tiểu học"),
    ("8.000115", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "Văn bằng, chứng chỉ"),
    ("8.000116", "Chỉnh sửa nội dung văn bằng, chứng chỉ", "Văn bằng, chứng chỉ"),
    ("8.000117", "Giải quyết hưởng trợ cấp thất nghiệp", "Việc làm"),
    (
        "8.000118",
        "Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam",
        "Việc làm",
    ),
    ("8.000119", "Cấp lại thẻ bảo hiểm y tế", "Bảo hiểm y tế"),
    ("8.000120", "Đăng ký thuế lần đầu đối với hộ kinh doanh, cá nhân kinh doanh", "Thuế"),
    ("8.000121", "Khai lệ phí trước bạ nhà, đất", "Thuế"),
    ("8.000122", "Đăng ký khai tử lưu động", "Hộ tịch"),
    ("8.000123", "Đăng ký kết hôn lưu động", "Hộ tịch"),
    ("8.000124", "Đăng ký kết hôn có yếu tố nước ngoài", "Hộ tịch"),
    ("8.000125", "Đăng ký lại kết hôn", "Hộ tịch"),
    ("8.000126", "Đăng ký khai tử có yếu tố nước ngoài", "Hộ tịch"),
    ("8.000127", "Đăng ký việc nuôi con nuôi trong nước", "Nuôi con nuôi"),
]

PREFIXES = [
    "",
    "",
    "Cấp lại",
    "Điều chỉnh",
    "Gia hạn",
    "Thu hồi",
    "Cấp đổi",
    "Đính chính",
    "Huỷ bỏ",
    "Xác nhận",
]
SUFFIXES = [
    "đối với cá nhân",
    "đối với tổ chức",
    "đối với doanh nghiệp có vốn đầu tư nước ngoài",
    "đối với hộ kinh doanh",
    "đối với hợp tác xã",
    "cho người nước ngoài",
    "cho người Việt Nam định cư ở nước ngoài",
    "trong trường hợp bị mất, bị hỏng",
    "trong trường hợp thay đổi thông tin",
    "trong trường hợp hết hạn",
    "thuộc thẩm quyền của Ủy ban nhân dân cấp xã",
    "thuộc thẩm quyền của Ủy ban nhân dân tỉnh",
    "tại khu công nghiệp, khu kinh tế",
    "(thực hiện tại cấp xã)",
    "(liên thông)",
    "lần đầu",
    "trên môi trường điện tử",
    "theo quy trình rút gọn",
    "đối với trường hợp đặc biệt",
    "tại khu vực biên giới",
]

DB_ALTERNATIVE_QUERIES = 300

# (category, query, expected code). One typo per query in the "typo" category.
NFD = "NFD"
QUERIES: list[tuple[str, str, str]] = [
    ("diacritics", "Đăng ký khai sinh", "1.001193"),
    ("diacritics", "Đăng ký thường trú", "1.004222"),
    ("diacritics", "Cấp lại thẻ căn cước", "2.001194"),
    ("diacritics", "Chứng thực di chúc", "2.001019"),
    ("diacritics", "Khai báo tạm vắng", "1.003677"),
    ("diacritics", "Công nhận Ban quản trị nhà chung cư", "1.012888"),
    ("diacritics", "Cấp hộ chiếu phổ thông", "1.001456"),
    ("diacritics", "hoà giải tranh chấp đất đai", "8.000007"),
    ("no diacritics", "dang ky khai sinh", "1.001193"),
    ("no diacritics", "dang ky tam tru", "1.004194"),
    ("no diacritics", "gia han tam tru", "1.002755"),
    ("no diacritics", "chung thuc van ban tu choi nhan di san", "2.001016"),
    ("no diacritics", "cap ban sao tu so goc", "2.000908"),
    ("no diacritics", "cap the can cuoc cho nguoi tu du 14 tuoi", "2.000200"),
    ("no diacritics", "dang ky ket hon", "1.000894"),
    ("no diacritics", "dang ky thanh lap ho kinh doanh", "8.000018"),
    ("nfd", "Đăng ký khai sinh", "1.001193"),
    ("nfd", "Thông báo lưu trú", "2.001159"),
    ("nfd", "Đăng ký khai tử", "1.000656"),
    ("nfd", "Cấp Giấy xác nhận tình trạng hôn nhân", "8.000003"),
    ("nfd", "Đăng ký nội quy lao động của doanh nghiệp", "2.001955"),
    ("nfd", "Cấp bản sao Trích lục hộ tịch", "2.000635"),
    ("nfd", "Công bố hoạt động bến thủy nội địa", "1.009454"),
    ("i/y", "đăng kí khai sinh", "1.001193"),
    ("i/y", "dang ki tam tru", "1.004194"),
    ("i/y", "phiếu lí lịch tư pháp", "8.000006"),
    ("i/y", "công bố sản phẩm mĩ phẩm", "8.000011"),
    ("i/y", "kiểm định kĩ thuật an toàn lao động", "8.000012"),
    ("i/y", "vàng trang sức mĩ nghệ", "8.000020"),
    ("i/y", "đăng kí giám hộ", "8.000004"),
    ("i/y", "đăng kí hoạt động tín ngưỡng", "8.000023"),
    ("tone placement", "hoà giải tranh chấp đất đai", "8.000007"),
    ("tone placement", "bảo vệ công trình thuỷ lợi", "8.000013"),
    ("tone placement", "gia đình văn hoá", "8.000014"),
    ("tone placement", "công bố hoạt động bến thuỷ nội địa", "1.009454"),
    ("tone placement", "phương tiện vui chơi giải trí dưới nước", "2.001215"),
    ("tone placement", "cấp phép sử dụng tạm thời lòng đường, vỉa hè", "1.013274"),
    ("tone placement", "Huỷ bỏ giao dịch", "2.000913"),
    ("typo", "khai xinh", "1.001193"),
    ("typo", "dang kys khai sinh", "1.001193"),
    ("typo", "gia han tam tri", "1.002755"),
    ("typo", "khai bao tam vamg", "1.003677"),
    ("typo", "chung thuc di chux", "2.001019"),
    ("typo", "cap lai the can cuox", "2.001194"),
    ("typo", "ket hoon", "1.000894"),
    ("typo", "ho chieu pho thongg", "1.001456"),
    ("typo", "dang ky giam hoo", "8.000004"),
    ("typo", "hoat dong tin nguonh", "8.000023"),
    ("typo", "kinh doanh karaokee", "8.000024"),
    ("typo", "ban quan tri nha chung cuw", "1.012888"),
    ("exact code", "1.001193", "1.001193"),
    ("exact code", "2.000908", "2.000908"),
    # The bare subject: the plain procedure before its look-alikes (lại, lưu động, có
    # yếu tố nước ngoài, kết hợp..., liên thông, and the generated variants).
    ("plain first", "khai sinh", "1.001193"),
    ("plain first", "đăng ký khai sinh", "1.001193"),
    ("plain first", "thường trú", "1.004222"),
    ("plain first", "tạm trú", "1.004194"),
    ("plain first", "kết hôn", "1.000894"),
    ("plain first", "khai tử", "9.900031"),
    ("plain first", "giám hộ", "9.900036"),
    ("plain first", "nhận cha mẹ con", "9.900037"),
    # The look-alike the query names.
    ("variant named", "khai sinh lại", "9.900032"),
    ("variant named", "đăng ký lại khai sinh", "9.900032"),
    ("variant named", "khai sinh nước ngoài", "9.900034"),
    ("variant named", "khai sinh lưu động", "8.000005"),
    ("variant named", "khai sinh kết hợp nhận cha mẹ con", "1.000689"),
    ("variant named", "xóa thường trú", "9.900062"),
    ("variant named", "khai tử lưu động", "8.000122"),
    ("variant named", "kết hôn nước ngoài", "8.000124"),
    ("variant named", "đăng ký lại kết hôn", "8.000125"),
    ("variant named", "gia hạn tạm trú", "1.002755"),
    # People's words written apart from the vocabulary (none of them is a seeded phrase
    # as it stands): how much the vocabulary carries over to phrasings it never saw.
    ("held out", "tôi muốn xóa hộ khẩu cho ông nội đã mất", "9.900062"),
    ("held out", "nhap ho khau cho vo", "1.004222"),
    ("held out", "chuyển khẩu về quê", "1.004222"),
    ("held out", "cấp sổ đỏ lần đầu", "9.900001"),
    ("held out", "làm bìa đỏ cho mảnh đất", "9.900001"),
    ("held out", "sang tên đất cho con", "9.900002"),
    ("held out", "bị mất giấy chứng nhận đất", "9.900005"),
    ("held out", "chia tách thửa đất", "9.900006"),
    ("held out", "đổi đất nông nghiệp sang đất ở", "9.900004"),
    ("held out", "xin phép xây nhà cấp 4", "1.013225"),
    ("held out", "cải tạo nhà xin giấy phép", "1.013229"),
    ("held out", "tiền trợ cấp cho người cao tuổi", "9.900051"),
    ("held out", "hỗ trợ tiền chôn cất", "9.900052"),
    ("held out", "làm giấy khuyết tật cho con", "9.900053"),
    ("held out", "chứng thực hợp đồng bán đất", "2.001035"),
    ("held out", "sao y giấy tờ", "2.000815"),
    ("held out", "chứng thực bản photo", "2.000815"),
    ("held out", "lập di chúc ở xã", "2.001019"),
    ("held out", "đăng ký giấy khai sinh cho bé", "1.001193"),
    ("held out", "khai sinh cho em bé mới sinh", "1.001193"),
    ("held out", "khai tử cho bố", "9.900031"),
    ("held out", "xin giấy chứng nhận độc thân", "9.900035"),
    ("held out", "sửa tên trong giấy khai sinh", "9.900038"),
    ("held out", "công nhận con", "9.900037"),
    ("held out", "cấp căn cước cho con 14 tuổi", "2.000200"),
    ("held out", "làm lại căn cước bị mất", "2.001194"),
    ("held out", "xin hộ chiếu đi nước ngoài", "1.001456"),
    ("held out", "đăng ký tạm trú khi thuê trọ", "1.004194"),
    ("held out", "báo vắng mặt ở địa phương", "1.003677"),
    ("held out", "đăng ký biển số xe máy mới mua", "8.000104"),
    ("held out", "đăng ký sang tên xe", "8.000105"),
    ("held out", "mở cửa hàng tạp hóa", "9.900011"),
    ("held out", "ngừng kinh doanh hộ gia đình", "9.900014"),
    ("held out", "copy certification", "2.000815"),
    ("held out", "construction permit for a house", "1.013225"),
    ("held out", "xin giấy kết hôn cho hai vợ chồng", "1.000894"),
    ("held out", "đăng ký tạm trú cho người thuê nhà", "1.004194"),
    ("held out", "xin cấp lại sổ đỏ do bị cháy", "9.900005"),
    ("held out", "làm thủ tục khai tử", "9.900031"),
    ("held out", "hồ sơ xin cấp hộ chiếu", "1.001456"),
    ("held out", "làm giấy phép cho quán ăn nhỏ", "9.900011"),
    # People's words: what citizens type or say at the one-stop desk.
    ("colloquial", "cắt khẩu", "9.900062"),
    ("colloquial", "xin cắt khẩu cho bố", "9.900062"),
    ("colloquial", "cat khau", "9.900062"),
    ("colloquial", "nhập khẩu cho con", "1.004222"),
    ("colloquial", "chuyển hộ khẩu về nhà chồng", "1.004222"),
    ("colloquial", "tách khẩu", "8.000101"),
    ("colloquial", "làm sổ đỏ", "9.900001"),
    ("colloquial", "lam so do", "9.900001"),
    ("colloquial", "sang tên sổ đỏ", "9.900002"),
    ("colloquial", "mất sổ đỏ", "9.900005"),
    ("colloquial", "tách sổ đỏ cho con", "9.900006"),
    ("colloquial", "chuyển đất vườn lên thổ cư", "9.900004"),
    ("colloquial", "xin giấy phép xây nhà", "1.013225"),
    ("colloquial", "xin phép sửa nhà", "1.013229"),
    ("colloquial", "xin giấy hộ nghèo cho mẹ", "8.000103"),
    ("colloquial", "trợ cấp người già", "9.900051"),
    ("colloquial", "tiền người già", "9.900051"),
    ("colloquial", "tro cap nguoi gia", "9.900051"),
    ("colloquial", "tiền mai táng", "9.900052"),
    ("colloquial", "giấy xác nhận khuyết tật", "9.900053"),
    ("colloquial", "công chứng hợp đồng mua nhà", "2.001035"),
    ("colloquial", "công chứng giấy tờ", "2.000815"),
    ("colloquial", "photo công chứng căn cước", "2.000815"),
    ("colloquial", "làm di chúc", "2.001019"),
    ("colloquial", "làm giấy khai sinh cho con", "1.001193"),
    ("colloquial", "khai sinh cho con", "1.001193"),
    ("colloquial", "báo tử", "9.900031"),
    ("colloquial", "giấy hôn thú", "1.000894"),
    ("colloquial", "giấy xác nhận độc thân", "9.900035"),
    ("colloquial", "đổi tên cho con", "9.900038"),
    ("colloquial", "nhận cha cho con", "9.900037"),
    ("colloquial", "làm thẻ bảo hiểm y tế cho bé", "9.900039"),
    ("colloquial", "làm căn cước", "2.000200"),
    ("colloquial", "mất căn cước", "2.001194"),
    ("colloquial", "làm hộ chiếu", "1.001456"),
    ("colloquial", "khai báo tạm trú cho sinh viên", "1.004194"),
    ("colloquial", "đi làm xa báo tạm vắng", "1.003677"),
    ("colloquial", "giấy xác nhận nơi ở", "9.900061"),
    ("colloquial", "đăng ký xe máy", "8.000104"),
    ("colloquial", "sang tên xe máy", "8.000105"),
    ("colloquial", "mất cà vẹt xe", "8.000107"),
    ("colloquial", "đổi bằng lái xe", "8.000109"),
    ("colloquial", "dựng rạp đám cưới", "1.013274"),
    ("colloquial", "mở quán ăn", "9.900011"),
    ("colloquial", "giấy phép kinh doanh", "9.900011"),
    ("colloquial", "đóng cửa quán", "9.900014"),
    ("colloquial", "giấy an toàn thực phẩm", "8.000010"),
    ("colloquial", "thờ cúng liệt sĩ", "8.000111"),
    ("colloquial", "bảo hiểm thất nghiệp", "8.000117"),
    ("colloquial", "mã số thuế cho hộ kinh doanh", "8.000120"),
    ("colloquial", "mở bến đò", "1.009454"),
    ("colloquial", "birth registration", "1.001193"),
    ("colloquial", "marriage registration", "1.000894"),
    ("colloquial", "death registration", "9.900031"),
    ("colloquial", "certified copy", "2.000815"),
    ("colloquial", "permanent residence", "1.004222"),
    ("colloquial", "passport", "1.001456"),
    ("colloquial", "building permit", "1.013225"),
    ("colloquial", "business registration", "9.900011"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", help="use this (empty) database instead of a temporary SQLite file"
    )
    parser.add_argument("--procedures", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20251127)
    parser.add_argument(
        "--no-phrases",
        action="store_true",
        help="measure only with an empty vocabulary of everyday names (the search before it)",
    )
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="motcua-bench-")
    os.environ["MOTCUA_VAR_DIR"] = tmp.name  # secret key, huey file: nothing in var/
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp.name}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "motcua.settings"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from motcua.catalog.models import Procedure

    call_command("migrate", verbosity=0)
    if Procedure.objects.exists():
        print("The database already holds procedures; give an empty one.", file=sys.stderr)
        return 2

    try:
        with transaction.atomic():
            run(args, connection)
            transaction.set_rollback(True)  # leave --database-url as we found it
    finally:
        connection.close()
        tmp.cleanup()
    return 0


def load_sample() -> list[dict]:
    for path in SAMPLE_PATHS:
        if path.exists():
            return json.loads(path.read_text())
    raise SystemExit("catalog_sample.json not found in " + ", ".join(map(str, SAMPLE_PATHS)))


def levels_of(text: str | None) -> list[str]:
    text = (text or "").lower()
    found = [
        code
        for code, word in (("central", "trung ương"), ("province", "tỉnh"), ("commune", "xã"))
        if word in text
    ]
    return found or ["commune"]


def online_level_of(text: str | None) -> str:
    text = (text or "").lower()
    if "toàn trình" in text:
        return "full"
    if "một phần" in text:
        return "partial"
    if "trực tiếp" in text:
        return "offline"
    return "unknown"


def build_catalog(
    count: int, rng: random.Random
) -> tuple[list[tuple[str, str, str, list[str], str]], dict[str, str]]:
    """The rows to store, and the codes of dropped duplicates → the code kept for that name."""
    from motcua.catalog.services import display_name  # "Thủ tục đăng ký ..." as imported
    from motcua.core.text import fold

    rows: dict[str, tuple[str, str, str, list[str], str]] = {}
    by_name: dict[str, str] = {}
    aliases: dict[str, str] = {}
    demo = json.loads(DEMO_PATH.read_text()) if DEMO_PATH.exists() else []
    for item in [*load_sample(), *demo]:
        name = display_name(item["name"])
        if item["code"] in rows:
            continue
        rows[item["code"]] = (
            item["code"],
            name,
            item["field"],
            levels_of(item["level"]),
            online_level_of(item["online_level"]),
        )
        by_name.setdefault(fold(name), item["code"])
    for code, name, field in EXTRA:
        if (kept := by_name.get(fold(name))) is not None:
            aliases[code] = kept  # a catalog does not hold one name twice
            continue
        rows.setdefault(code, (code, name, field, ["commune"], rng.choice(["full", "partial"])))
        by_name[fold(name)] = code
    bases = list(rows.values())
    names = {row[1] for row in bases}
    serial = 0
    while len(rows) < count:
        _, name, field, levels, _ = rng.choice(bases)
        prefix = rng.choice(PREFIXES)
        body = f"{prefix} {name[0].lower()}{name[1:]}" if prefix else name
        variant = f"{body} {rng.choice(SUFFIXES)}"
        if variant in names:
            continue
        names.add(variant)
        serial += 1
        code = f"9.{serial:06d}"
        rows[code] = (
            code,
            variant,
            field,
            levels,
            rng.choice(["full", "partial", "offline", "unknown"]),
        )
    return list(rows.values()), aliases


def store_catalog(rows: list[tuple[str, str, str, list[str], str]]) -> None:
    from motcua.catalog.models import Procedure, ProcedureVersion, Sector
    from motcua.catalog.services import catalog_revision_bump

    sectors = {name: Sector.objects.create(name=name) for name in sorted({r[2] for r in rows})}
    procedures = Procedure.objects.bulk_create([Procedure(code=r[0]) for r in rows])
    versions = ProcedureVersion.objects.bulk_create(
        [
            ProcedureVersion(
                procedure=p,
                number=1,
                state="published",
                name=r[1],
                sector=sectors[r[2]],
                levels=r[3],
                online_level=r[4],
            )
            for p, r in zip(procedures, rows, strict=True)
        ]
    )
    if procedures[0].pk is None:  # backends without RETURNING
        by_code = {p.code: p for p in Procedure.objects.all()}
        procedures = [by_code[r[0]] for r in rows]
        versions = list(ProcedureVersion.objects.order_by("procedure__code"))
    for procedure, version in zip(procedures, versions, strict=True):
        procedure.current = version
    Procedure.objects.bulk_update(procedures, ["current"], batch_size=500)
    catalog_revision_bump()


def query_text(category: str, query: str) -> str:
    return unicodedata.normalize("NFD", query) if category == "nfd" else query


def latency_mix(count: int, rng: random.Random, rows: list) -> list[str]:
    """What people type: labelled queries, their prefixes while typing, name fragments."""
    labelled = [query_text(c, q) for c, q, _ in QUERIES]
    out: list[str] = []
    while len(out) < count:
        kind = rng.random()
        if kind < 0.4:
            out.append(rng.choice(labelled))
        elif kind < 0.7:
            query = rng.choice(labelled)
            out.append(query[: rng.randint(2, len(query))])
        else:
            words = rng.choice(rows)[1].split()
            start = rng.randrange(len(words))
            out.append(" ".join(words[start : start + rng.randint(1, 4)]))
    return out


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples_ns, n=100, method="inclusive")
    return cuts[49] / 1e6, cuts[94] / 1e6


def timed(fn: Callable[[str], object], inputs: list[str]) -> list[int]:
    samples = []
    for item in inputs:
        start = time.perf_counter_ns()
        fn(item)
        samples.append(time.perf_counter_ns() - start)
    return samples


def recall(
    search: Callable[[str], list[str]], aliases: dict[str, str]
) -> tuple[dict[str, list[int]], list[str]]:
    """Per category: [found first, in the top 3, in the top 10, queries]; and the queries
    whose expected procedure is not first, with what came first instead."""
    per_category: dict[str, list[int]] = {}
    misses: list[str] = []
    for category, query, expected in QUERIES:
        expected = aliases.get(expected, expected)
        found = search(query_text(category, query))[:10]
        counts = per_category.setdefault(category, [0, 0, 0, 0])
        counts[0] += found[:1] == [expected]
        counts[1] += expected in found[:3]
        counts[2] += expected in found
        counts[3] += 1
        if found[:1] != [expected]:
            rank = found.index(expected) + 1 if expected in found else "-"
            misses.append(f"{query!r} (#{rank}, first {found[0] if found else 'nothing'})")
    return per_category, misses


def print_recall(title: str, result: tuple[dict[str, list[int]], list[str]]) -> None:
    per_category, misses = result
    print(f"{title:<26}  top-1          top-3          recall@10")
    rows = [
        *per_category.items(),
        ("overall", [sum(c[i] for c in per_category.values()) for i in range(4)]),
    ]
    for category, (*found, total) in rows:
        print(
            f"  {category:<16} "
            + "  ".join(f"{n:>3}/{total:<3} {100 * n / total:5.1f}%" for n in found)
        )
    if misses:
        print("  not first: " + " · ".join(misses))


def run(args: argparse.Namespace, connection) -> None:
    from motcua.catalog import search
    from motcua.catalog.selectors import catalog_revision
    from motcua.core.text import fold

    rng = random.Random(args.seed)
    vendor = connection.vendor
    start = time.perf_counter()
    rows, aliases = build_catalog(args.procedures, rng)
    store_catalog(rows)
    print(
        f"database: {vendor}; catalog: {len(rows)} procedures, "
        f"{len({r[2] for r in rows})} fields, stored in {time.perf_counter() - start:.1f} s"
    )
    missing = {aliases.get(c, c) for _, _, c in QUERIES} - {r[0] for r in rows}
    if missing:
        raise SystemExit(f"labelled codes missing from the bench catalog: {sorted(missing)}")

    mix = latency_mix(args.queries, rng, rows)
    with connection.cursor() as cursor:

        def select_one(_: str) -> None:
            cursor.execute("SELECT 1")
            cursor.fetchone()

        for _ in range(50):  # warm-up
            select_one("")
        baseline = timed(select_one, mix)
    revision = timed(lambda _: catalog_revision(), mix)
    base50, _ = percentiles(baseline)
    print(f"latency over {len(mix)} queries, ms:       p50      p95   p50/SELECT 1")
    for label, samples in (
        ("SELECT 1 (bare round-trip)", baseline),
        ("catalog_revision() read", revision),
    ):
        p50, p95 = percentiles(samples)
        print(f"  {label:<30} {p50:8.3f} {p95:8.3f} {p50 / base50:10.1f}x")

    def in_memory(query: str) -> list[str]:
        return [hit.code for hit in search.procedure_search(query=query).items]

    def measure(title: str) -> None:
        search.clear_index_cache()
        start = time.perf_counter_ns()
        search.procedure_search(query="khai sinh")
        build_ms = (time.perf_counter_ns() - start) / 1e6
        tracemalloc.start()
        search.clear_index_cache()
        search.procedure_search(query="khai sinh")
        index_mb = tracemalloc.get_traced_memory()[0] / 2**20
        tracemalloc.stop()
        print(f"--- {title}")
        print(
            f"index build (first search after a revision change): {build_ms:.1f} ms, "
            f"{index_mb:.1f} MiB held"
        )
        for query in mix[:200]:  # warm-up, so both measurements start alike
            search.procedure_search(query=query)
        p50, p95 = percentiles(timed(lambda q: search.procedure_search(query=q), mix))
        print(
            f"  {'procedure_search()':<30} {p50:8.3f} {p95:8.3f} {p50 / base50:10.1f}x"
            "   (ms: p50, p95, p50/SELECT 1)"
        )
        print_recall("in-memory index", recall(in_memory, aliases))

    measure("without the vocabulary of everyday names (before)")
    if not args.no_phrases:
        from motcua.catalog.services import search_phrases_load_file

        report = search_phrases_load_file(path=PHRASES_PATH)
        print(
            f"vocabulary {PHRASES_PATH.name}: {report.created} phrases loaded, "
            f"{len(report.skipped)} skipped (procedure not in this catalog), "
            f"{len(report.unmatched)} naming words no procedure holds"
        )
        measure("with the vocabulary of everyday names (after)")
    digest = hashlib.sha256(
        json.dumps(
            [in_memory(query_text(c, q)) for c, q, _ in QUERIES] + [in_memory(q) for q in mix[:200]]
        ).encode()
    ).hexdigest()[:16]
    print(f"result digest (equal on every database): {digest}")

    database_index_alternative(connection, rows, mix, fold, base50, aliases)


def database_index_alternative(
    connection, rows, mix, fold, base50: float, aliases: dict[str, str]
) -> None:
    """The same queries through the database's own text index over the folded text."""
    from django.db import transaction

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            label = "SQLite FTS5 (bm25) over folded name/field"
            cursor.execute("CREATE VIRTUAL TABLE bench_fts USING fts5(code UNINDEXED, name, field)")
            cursor.executemany(
                "INSERT INTO bench_fts VALUES (%s, %s, %s)",
                [(r[0], fold(r[1]), fold(r[2])) for r in rows],
            )

            def db_search(query: str) -> list[str]:
                words = fold(query).replace(".", " ").split()
                if not words:
                    return []
                terms = [f'"{w}"' for w in words[:-1]] + [f'"{words[-1]}"*']
                cursor.execute(
                    "SELECT code FROM bench_fts WHERE bench_fts MATCH %s "
                    "ORDER BY bm25(bench_fts, 0, 1.0, 0.3), code LIMIT 10",
                    [" OR ".join(terms)],
                )
                return [row[0] for row in cursor.fetchall()]
        elif connection.vendor == "postgresql":
            label = "PostgreSQL pg_trgm (word similarity, GIN) over folded text"
            try:
                with transaction.atomic():  # a savepoint: a refusal must not end the run
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception as exc:  # not allowed to create extensions: skip the comparison
                print(f"database index alternative skipped: {exc}")
                return
            cursor.execute("CREATE TEMP TABLE bench_trgm (code text, doc text)")
            cursor.executemany(
                "INSERT INTO bench_trgm VALUES (%s, %s)",
                [(r[0], f"{fold(r[1])} {fold(r[2])} {r[0]}") for r in rows],
            )
            cursor.execute("CREATE INDEX ON bench_trgm USING gin (doc gin_trgm_ops)")
            cursor.execute("ANALYZE bench_trgm")

            def db_search(query: str) -> list[str]:
                folded = fold(query)
                if not folded:
                    return []
                cursor.execute(
                    "SELECT code FROM bench_trgm WHERE %s <%% doc "
                    "ORDER BY word_similarity(%s, doc) DESC, code LIMIT 10",
                    [folded, folded],
                )
                return [row[0] for row in cursor.fetchall()]
        else:
            return
        sample = mix[:DB_ALTERNATIVE_QUERIES]  # pg_trgm is slow enough to blow the time budget
        p50, p95 = percentiles(timed(db_search, sample))
        print(f"database index alternative: {label}")
        print(
            f"  latency over the first {len(sample)} queries, ms: p50 {p50:.3f}  p95 {p95:.3f}"
            f"  ({p50 / base50:.1f}x SELECT 1)"
        )
        print_recall("  same query set", recall(db_search, aliases))


if __name__ == "__main__":
    sys.exit(main())
