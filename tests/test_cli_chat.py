"""``motcua chat``: the JSON-lines protocol for scripts, resuming a conversation with ``--user``
across runs, the interactive prompt with numbered buttons, and a citizen deleting their data
from the chat.

The console script is run for real in a subprocess where the process is what is shown (its
output, its exit status); a conversation of several runs calls the same ``bot.cli.main`` in
this process, each run building the app from the data directory again, without a second of
interpreter start-up a run.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.papers import EXE, FORTY_MB, JPEG
from support.procedures import BIRTH
from support.schema import migrated_before_start

from bot.cli import main
from bot.cli.chat import render_text
from dialogs.dates import VIETNAM
from dialogs.messages import Button, Reply
from knowledge.model import Channel, ChannelKind, Document, DocumentGroup, Duration, Fee, Procedure
from knowledge.store import save_knowledge_base

pytestmark = pytest.mark.slow

DEATH = Procedure(
    code="1.000656",
    name="Thủ tục đăng ký khai tử",
    levels=("Cấp xã",),
    field="Hộ tịch",
    documents=(DocumentGroup("", (Document("Tờ khai đăng ký khai tử", originals=1),)),),
)


# The installed console script, next to this interpreter in the virtual environment.
MOTCUA = str(Path(sys.executable).with_name("motcua"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A temporary data directory, its database migrated as every start but the first finds
    it (the first start's migrations are ``tests/test_lazy_imports.py``'s), and a two-procedure
    knowledge base."""
    knowledge = tmp_path / "kb.json.gz"
    save_knowledge_base([BIRTH, DEATH], knowledge)
    (tmp_path / "data").mkdir()
    settings = {
        **os.environ,
        "MOTCUA_DATA_DIR": str(tmp_path / "data"),
        "MOTCUA_KNOWLEDGE_PATH": str(knowledge),
        "PYTHONIOENCODING": "utf-8",
    }
    asyncio.run(migrated_before_start(settings))
    return settings


@dataclass(frozen=True)
class Done:
    """How a run of ``motcua`` ended."""

    code: int
    out: str
    err: str


Motcua = Callable[..., Done]
"""``run(*args, stdin=...)``: one run of ``motcua ARGS`` reading ``stdin``."""


@pytest.fixture
def spawned(env: dict[str, str]) -> Motcua:
    """``motcua`` as the installed console script, in a process of its own."""

    def run(*args: str, stdin: str) -> Done:
        done = subprocess.run(
            [MOTCUA, *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=120,
        )
        return Done(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def here(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Motcua:
    """``motcua`` as the console script runs it (``bot.cli.main``), in this process."""
    for name in ("MOTCUA_DATA_DIR", "MOTCUA_KNOWLEDGE_PATH"):
        monkeypatch.setenv(name, env[name])

    def run(*args: str, stdin: str) -> Done:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run


def motcua(run: Motcua, *args: str, stdin: str) -> list[str]:
    """The lines a successful run printed."""
    done = run(*args, stdin=stdin)
    assert done.code == 0, done.err
    return done.out.splitlines()


def jsonl(run: Motcua, user: str, *requests: dict[str, Any] | str) -> list[dict[str, Any]]:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in requests]
    out = motcua(run, "chat", "--jsonl", "--user", user, stdin="\n".join(lines) + "\n")
    return [json.loads(line) for line in out]


def button(answer: dict[str, Any], payload_prefix: str) -> dict[str, Any]:
    buttons = [b for r in answer["replies"] for b in r["buttons"]]
    found: dict[str, Any] = next(
        b for b in buttons if (b["payload"] or "").startswith(payload_prefix)
    )
    return found


def test_jsonl_answers_each_line_and_survives_bad_ones(spawned: Motcua) -> None:
    answers = jsonl(
        spawned,
        "script-a",
        {"text": "dang ky khai sinh"},
        "this is not json",
        {"text": 5},
        {"text": "hi", "button": "x"},
        "[1, 2]",
        {"button": "cl:go:1.001193"},  # a button pressed by its payload
    )

    assert len(answers) == 6  # one line per input line
    card = answers[0]["replies"]
    assert "Thủ tục đăng ký khai sinh" in card[0]["text"]
    assert set(button(answers[0], "cl:go:")) == {"label", "payload"}
    labels = [b["label"] for r in card for b in r["buttons"]]
    assert "Nộp hồ sơ trực tuyến" in labels and "Mở Cổng Dịch vụ công" in labels
    assert "Nộp trực tuyến" not in labels  # not two buttons that read the same
    assert [set(a) for a in answers[1:5]] == [{"error"}] * 4
    item = answers[5]["replies"][-1]
    assert "Tờ khai đăng ký khai sinh" in item["text"]
    assert button(answers[5], "cl:have:1.001193")


def test_what_papers_typed_under_a_card_opens_its_checklist(here: Motcua) -> None:
    """ "cần giấy tờ gì" typed right after a card was searched alone, named no procedure and
    got "not found"; it asks for that card's papers, as its checklist button does."""
    _card, asked = jsonl(
        here, "asks-papers", {"text": "dang ky khai sinh"}, {"text": "vậy cần giấy tờ gì ạ?"}
    )
    (pressed,) = jsonl(here, "presses-papers", {"button": "cl:go:1.001193"})
    assert "Tờ khai đăng ký khai sinh" in texts_of(asked)
    assert texts_of(asked) == texts_of(pressed)
    *_, english = jsonl(
        here,
        "asks-papers-en",
        {"text": "english"},
        {"text": "dang ky khai sinh"},
        {"text": "What documents do I need?"},
    )
    assert button(english, "cl:have:1.001193")
    *_, other = jsonl(
        here,
        "names-another",
        {"text": "dang ky khai sinh"},
        {"text": "dang ky khai tu can giay to gi"},
    )
    assert "1.000656" in json.dumps(other)  # a question naming a procedure is still searched
    (alone,) = jsonl(here, "no-card", {"text": "can giay to gi"})
    assert "cl:have:" not in json.dumps(alone)  # without a card, no procedure's papers


def test_user_resumes_across_runs_and_presses_by_label(here: Motcua) -> None:
    (card,) = jsonl(here, "resume-me", {"text": "dang ky khai sinh"})
    checklist = button(card, "cl:go:1.001193")

    (first_item,) = jsonl(here, "resume-me", {"button": checklist["label"]})
    assert "Tờ khai đăng ký khai sinh" in first_item["replies"][-1]["text"]

    have = button(first_item, "cl:have:")
    (second_item,) = jsonl(here, "resume-me", {"button": have["label"].upper()})
    assert "Giấy chứng sinh" in second_item["replies"][-1]["text"]

    # Another user's conversation is separate: the same label means nothing there yet.
    (other,) = jsonl(here, "someone-else", {"button": have["label"]})
    assert "Giấy chứng sinh" not in json.dumps(other, ensure_ascii=False)


def test_interactive_numbers_press_buttons(spawned: Motcua) -> None:
    out = "\n".join(motcua(spawned, "chat", "--user", "tty", stdin="dang ky khai sinh\n1\n/quit\n"))

    assert "> " in out
    assert "Thủ tục đăng ký khai sinh" in out
    assert "  [1] " in out
    assert "Tờ khai đăng ký khai sinh" in out  # "1" pressed the checklist button


def test_interactive_session_opens_on_the_last_answer(here: Motcua) -> None:
    jsonl(here, "comes-back", {"text": "dang ky khai sinh"})

    out = "\n".join(motcua(here, "chat", "--user", "comes-back", stdin="/quit\n"))

    assert "Thủ tục đăng ký khai sinh" in out  # where the earlier run left off
    assert "  [1] " in out  # with its buttons ready to press by number


def test_an_unusable_knowledge_base_is_one_clear_line(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(b"not a knowledge base")
    done = subprocess.run(
        [MOTCUA, "chat", "--jsonl"],
        input='{"text": "hi"}\n',
        capture_output=True,
        text=True,
        env={**env, "MOTCUA_KNOWLEDGE_PATH": str(broken)},
        timeout=120,
    )

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("motcua chat: cannot start: KnowledgeBaseFormatError")
    assert len(done.stderr.strip().splitlines()) == 1


PRIVACY_USER = "privacy-user"


def user_export(run: Motcua) -> Done:
    return run("user", "export", "--channel", "terminal", "--user", PRIVACY_USER, stdin="")


def texts_of(answer: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in answer["replies"])


def test_delete_my_data_asks_first_then_erases_everything(here: Motcua) -> None:
    _, asked = jsonl(
        here,
        PRIVACY_USER,
        {"text": "dang ky khai sinh, con toi sinh ngay 3/4"},
        {"text": "xoá dữ liệu của tôi"},
    )
    assert "không thể hoàn tác" in texts_of(asked)
    assert button(asked, "pv:no") and button(asked, "pv:yes")
    [declined] = jsonl(here, PRIVACY_USER, {"button": "pv:no"})
    assert "Chưa xoá gì" in texts_of(declined)
    before = user_export(here)
    assert before.code == 0
    assert "con toi sinh ngay 3/4" in json.loads(before.out)["tables"]["message_log"][0]["text"]

    stale, asked_again, done = jsonl(
        here, PRIVACY_USER, {"button": "pv:yes"}, {"text": "delete my data"}, {"button": "pv:yes"}
    )
    assert "Đã xoá" not in texts_of(stale)  # a "yes" not right after the question deletes nothing
    assert button(asked_again, "pv:yes")
    assert "Đã xoá toàn bộ" in texts_of(done)

    after = user_export(here)
    assert after.code == 1 and "nothing is kept" in after.err
    [fresh] = jsonl(here, PRIVACY_USER, {"text": "menu"})
    assert button(fresh, "m:ask")  # a new conversation starts as for anyone new


def test_words_typed_at_delete_it_all_keep_its_buttons_working(here: Motcua) -> None:
    """ "có" typed to "Xoá hết?" was searched as a procedure, and the "Có, xoá hết" tapped
    after it was out of date. Only the button (tapped, or typed in its words) erases."""
    user = "types-at-delete"
    _asked, typed_yes, tapped_yes = jsonl(
        here, user, {"text": "xoa du lieu cua toi"}, {"text": "có"}, {"button": "pv:yes"}
    )
    assert texts_of(typed_yes).startswith("Muốn xoá, xin bấm “Có, xoá hết”")
    assert {"pv:yes", "pv:no"} <= set(payloads(typed_yes))
    assert "Đã xoá toàn bộ" in texts_of(tapped_yes)
    _asked, kept = jsonl(here, "keeps", {"text": "xoa du lieu cua toi"}, {"text": "không"})
    assert "Chưa xoá gì" in texts_of(kept)


def test_terminal_text_wraps_at_word_boundaries_and_keeps_links_whole() -> None:
    url = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"
    text = (
        "Giấy chứng sinh; trường hợp không có Giấy chứng sinh thì nộp văn bản của người làm chứng"
    )
    shown = render_text([Reply(f"{text}\nTrên Cổng: {url}", (Button("Có rồi", "cl:have"),))], 30)
    lines = shown.splitlines()
    assert all(len(line) <= 30 for line in lines if url not in line)
    assert url in lines  # a link is never cut
    assert " ".join(lines[: lines.index(url) - 1]) == text  # only spaces became line breaks
    assert "  [1] Có rồi" in lines


def test_a_script_files_papers_with_file_lines_and_gets_clear_errors(
    here: Motcua, tmp_path: Path
) -> None:
    photo, renamed, huge = (
        tmp_path / "giay-bao-tu.jpg",
        tmp_path / "giay-bao-tu-2.jpg",
        tmp_path / "to.pdf",
    )
    photo.write_bytes(JPEG)
    renamed.write_bytes(EXE)
    with huge.open("wb") as sparse:  # 40 MB on paper, nothing written: it is never read
        sparse.truncate(FORTY_MB)
    answers = jsonl(
        here,
        "files",
        {"button": "f:go:1.000656"},
        {"button": "f:ok"},
        *(
            {"text": t}
            for t in ("Lê Thị Mai", "001190012345", "0912345678", "Số 5 Hàng Bài, Hà Nội")
        ),
        {"text": "Lê Văn Tùng"},
        {"button": "f:skip"},
        *({"text": t} for t in ("01/11/2026", "Bệnh viện Bạch Mai", "con gái")),
        {"button": "f:d:pickup"},
        {"button": "f:pp"},
        {"file": str(tmp_path / "missing.jpg")},
        {"file": str(huge)},
        {"file": str(renamed)},
        {"file": "   "},
        {"file": str(photo)},
    )
    *_, asked, missing, too_big, wrong, blank, review = answers
    assert "Giấy báo tử" in texts_of(asked)
    assert missing == {"error": f"no file at {tmp_path / 'missing.jpg'}"}
    assert too_big["error"] == "file refused: larger than 10 MB"
    assert "Tệp này quá lớn" in texts_of(too_big)
    assert wrong["error"].startswith("file refused: not a JPEG, PNG or PDF")
    assert "dù tên tệp ghi gì" in texts_of(wrong)
    assert set(blank) == {"error"}
    assert "error" not in review
    assert "Giấy báo tử: đã gửi kèm" in texts_of(review) and "Lê Văn Tùng" in texts_of(review)


def payloads(answer: dict[str, Any]) -> list[str]:
    return [b["payload"] or "" for r in answer["replies"] for b in r["buttons"]]


def labels(answer: dict[str, Any]) -> list[str]:
    return [b["label"] for r in answer["replies"] for b in r["buttons"]]


APPLICANT = ("Nguyễn Thị Hoà", "001190012345", "0912 345 678", "12 Hàng Bạc, Hà Nội")
"""A mother's answers to the birth registration's first four questions."""


def filing(code: str, *then: dict[str, str]) -> list[dict[str, str]]:
    """The lines that start filing a procedure, agree and answer the applicant's questions."""
    return [
        {"button": f"f:go:{code}"},
        {"button": "f:ok"},
        *({"text": t} for t in APPLICANT),
        *then,
    ]


def birth_filing(*then: dict[str, str]) -> list[dict[str, str]]:
    """The lines that start a birth registration, agree and answer the applicant's questions."""
    return filing("1.001193", *then)


def test_my_address_above_sends_the_result_there(here: Motcua) -> None:
    *_, asked_where, review = jsonl(
        here,
        "by-post",
        *birth_filing(
            {"button": "f:c:mother"},
            *({"text": t} for t in ("Nguyễn Văn An", "20/11/2026")),
            {"button": "f:c:male"},
            {"text": "Bệnh viện Bạch Mai, Hà Nội"},
            {"button": "f:skip"},
            {"button": "f:d:post"},
            {"button": "Địa chỉ của tôi ở trên"},
        ),
    )
    assert "Bưu điện gửi kết quả tới đâu" in texts_of(asked_where)
    assert "qua bưu điện tới 12 Hàng Bạc, Hà Nội" in texts_of(review)
    assert "f:send" in payloads(review)


def test_a_birth_told_as_yesterday_or_without_its_year_is_said_back_as_the_full_date(
    here: Motcua,
) -> None:
    """ "hôm qua", "sáng nay" and "5/12" were refused at the child's date of birth; they are read
    in Vietnam time and said back in full, and the future and impossible days still refused."""
    today = datetime.now(VIETNAM).date()
    *_, yesterday = jsonl(
        here, "told-yesterday", *birth_filing({"text": "me"}, {"text": "An"}, {"text": "hom qua"})
    )
    said = (today - timedelta(days=1)).strftime("%d/%m/%Y")
    assert f"Ngày sinh của trẻ: {said}, như tôi hiểu." in texts_of(yesterday)
    assert "Câu 8/10: Giới tính của trẻ" in texts_of(yesterday)  # it was taken
    *_, this_morning = jsonl(
        here, "told-today", *birth_filing({"text": "me"}, {"text": "An"}, {"text": "sáng nay"})
    )
    assert f"Ngày sinh của trẻ: {today:%d/%m/%Y}, như tôi hiểu." in texts_of(this_morning)
    *_, future, impossible, no_year = jsonl(
        here,
        "told-no-year",
        *birth_filing({"text": "me"}, {"text": "An"}),
        {"text": "ngày mai"},
        {"text": "30/2"},
        {"text": "5/12"},
    )
    tomorrow = today + timedelta(days=1)
    assert f"{tomorrow:%d/%m/%Y} là một ngày ở tương lai" in texts_of(future)
    assert "30/2 không phải là một ngày có thật" in texts_of(impossible)
    fifth = today.replace(month=12, day=5)
    if fifth > today:
        fifth = fifth.replace(year=today.year - 1)
    assert f"Ngày sinh của trẻ: {fifth:%d/%m/%Y}, như tôi hiểu." in texts_of(no_year)


def test_a_death_told_as_the_day_before_yesterday_is_the_date_the_review_shows(
    here: Motcua,
) -> None:
    today = datetime.now(VIETNAM).date()
    lines = [
        *filing(
            "1.000656",
            {"text": "Trần Văn Ba"},
            {"button": "f:skip"},
            {"text": "hôm kia"},
            {"text": "Bệnh viện Bạch Mai, Hà Nội"},
            {"text": "con trai"},
            {"text": "nhan tai bo phan mot cua"},
        ),
    ]
    *_, told, _place, _relation, review = jsonl(here, "death-day", *lines)
    said = (today - timedelta(days=2)).strftime("%d/%m/%Y")
    assert f"Ngày mất: {said}, như tôi hiểu." in texts_of(told)
    assert f"Ngày mất: {said}" in texts_of(review)


def test_a_date_of_birth_years_ago_needs_its_year_and_a_full_date_is_not_said_back(
    here: Motcua, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "5/12" is this year's at a newborn's birth, but no applicant's own date of birth."""
    *_, child_born = jsonl(
        here, "full-date", *birth_filing({"text": "me"}, {"text": "An"}, {"text": "20/11/2026"})
    )
    assert "như tôi hiểu" not in texts_of(child_born)
    marital = Procedure(code="1.004873", name="Thủ tục cấp Giấy xác nhận tình trạng hôn nhân")
    knowledge = tmp_path / "with-marital.json.gz"
    save_knowledge_base([BIRTH, DEATH, marital], knowledge)
    monkeypatch.setenv("MOTCUA_KNOWLEDGE_PATH", str(knowledge))
    *_, no_year, short_year = jsonl(
        here,
        "own-birth",
        *filing("1.004873", {"text": "2/9"}, {"text": "2/9/95"}),
    )
    assert "Xin nhập cả năm" in texts_of(no_year)
    assert "Ngày sinh của bạn: 02/09/1995, như tôi hiểu." in texts_of(short_year)


def test_the_commune_picker_after_a_filing_puts_its_addresss_province_first(
    here: Motcua,
) -> None:
    """In a filing the picker put the address's province first; once the dossier was sent it
    went back to An Giang, the alphabet's first."""
    *_, review = jsonl(
        here,
        "filed-then-news",
        *birth_filing(
            {"text": "me"},
            *({"text": t} for t in ("Nguyễn Văn An", "20/11/2026", "nam")),
            *({"text": t} for t in ("Bệnh viện Bạch Mai, Hà Nội", "bo qua")),
            {"text": "nhan tai bo phan mot cua"},
        ),
    )
    assert "f:send" in payloads(review)
    _sent, picker = jsonl(here, "filed-then-news", {"button": "f:send"}, {"button": "m:news"})
    labels = [b["label"] for r in picker["replies"] for b in r["buttons"]]
    assert labels[:2] == ["Hà Nội", "An Giang"]  # the applicant's "12 Hàng Bạc, Hà Nội"


def test_a_procedure_typed_by_its_name_at_the_list_of_those_filed_here_is_filed(
    here: Motcua,
) -> None:
    """ "khai sinh" typed under "Nộp hồ sơ" searched the whole base and left the filing."""
    _list, notice = jsonl(here, "types-khai-sinh", {"text": "nop ho so"}, {"text": "khai sinh"})
    assert "Để nộp “Thủ tục đăng ký khai sinh”" in texts_of(notice)
    assert "f:ok" in payloads(notice)
    _list, both = jsonl(here, "types-dang-ky", {"text": "nop ho so"}, {"text": "dang ky"})
    assert "f:ok" not in payloads(both)  # both procedures are "đăng ký": a question, as before


def test_a_form_typed_by_its_english_name_at_the_list_is_filed_in_either_language(
    here: Motcua,
) -> None:
    """ "birth" typed at "Submit a dossier"'s list was searched as a question and got a list of
    birth cases: the forms had only the portal's Vietnamese names."""
    *_, listed, notice = jsonl(
        here, "types-birth", {"text": "english"}, {"text": "submit a dossier"}, {"text": "birth"}
    )
    assert labels(listed)[:2] == ["Birth registration", "Death registration"]
    # The portal's name alone, in Vietnamese, told an English reader nothing.
    assert "To file “Birth registration (Thủ tục đăng ký khai sinh)”" in texts_of(notice)
    assert "f:ok" in payloads(notice)
    listed, in_vietnamese = jsonl(here, "types-death", {"text": "nop ho so"}, {"text": "death"})
    assert labels(listed)[:2] == ["Đăng ký khai sinh", "Đăng ký khai tử"]
    assert "Để nộp “Thủ tục đăng ký khai tử”" in texts_of(in_vietnamese)
    assert "f:ok" in payloads(in_vietnamese)
    _list, vague = jsonl(
        here, "types-registration", {"text": "nop ho so"}, {"text": "registration"}
    )
    assert "f:ok" not in payloads(vague)  # both forms are registrations: a question


def test_the_father_typed_ba_and_a_son_typed_con_trai_answer_the_choices(here: Motcua) -> None:
    """ "ba", "bố", "con trai" got "Xin bấm một trong các nút" over and over."""
    *_, parent, _child, _born, sex = jsonl(
        here,
        "says-ba",
        *birth_filing({"text": "ba"}, {"text": "An"}, {"text": "20/11/2026"}, {"text": "con trai"}),
    )
    assert "Câu 6/10: Họ tên của trẻ" in texts_of(parent)  # the father's name is his own
    assert "Câu 9/10: Nơi sinh" in texts_of(sex)
    *_, grandmother = jsonl(here, "says-ba-noi", *birth_filing({"text": "bà"}))
    assert "Câu 6/11: Họ tên của trẻ" in texts_of(grandmother)  # "bà" is no "ba": a relative
    *_, sex = jsonl(
        here,
        "says-boy",
        {"text": "english"},
        *birth_filing({"text": "mum"}, {"text": "An"}, {"text": "20/11/2026"}, {"text": "boy"}),
    )
    assert "Question 9 of 10: Place of birth" in texts_of(sex)


def test_cancel_says_checklists_are_saved_only_to_whoever_has_one(here: Motcua) -> None:
    _card, stopped = jsonl(here, "cancels", {"text": "khai tu"}, {"text": "huy"})
    assert texts_of(stopped).startswith("Đã dừng.\n")
    assert "Danh sách giấy tờ" not in texts_of(stopped)
    *_, kept = jsonl(here, "cancels-checklist", {"button": "cl:go:1.000656"}, {"text": "huy"})
    assert "Danh sách giấy tờ của bạn vẫn được lưu" in texts_of(kept)


def test_dont_know_and_stop_typed_at_a_paper_do_what_its_buttons_do(here: Motcua) -> None:
    """ "không biết" and "dừng lại" were searched: "dừng lại" got an investment procedure's card."""
    typed = ({"text": t} for t in ("khong biet", "dừng lại", "lam tiep"))
    _first, explained, paused, again = jsonl(
        here, "types-at-a-paper", {"button": "cl:go:1.001193"}, *typed
    )
    assert "cán bộ bộ phận một cửa của xã/phường sẽ giải thích" in texts_of(explained)
    assert "Đã lưu: đã xem xong 0/" in texts_of(paused)
    assert "Giấy tờ 1/" in texts_of(again)


def test_dont_know_at_an_optional_question_skips_it(here: Motcua) -> None:
    """ "Bỏ qua nếu bạn không biết", says the deceased's ID number; "không biết" was refused as
    an ID number."""
    *_, asked, skipped = jsonl(
        here,
        "does-not-know",
        *filing("1.000656", {"text": "Trần Văn Ba"}, {"text": "khong biet"}),
    )
    assert "Bỏ qua nếu bạn không biết" in texts_of(asked)
    assert "Câu 7/9: Ngày mất" in texts_of(skipped)


def test_a_province_typed_alone_at_the_commune_picker_opens_its_communes(here: Motcua) -> None:
    """ "ha noi" got "Did you mean" Phường Dương Nội, Xã Trường Hà (Cao Bằng), Hà Giang..."""
    _picker, hanoi, nghe_an = jsonl(
        here,
        "types-province",
        {"text": "thong bao cua xa"},
        {"text": "ha noi"},
        {"text": "tinh nghe an"},
    )
    assert texts_of(hanoi).startswith("Các xã, phường của Hà Nội.")
    assert "Phường Ba Đình" in [b["label"] for r in hanoi["replies"] for b in r["buttons"]]
    assert texts_of(nghe_an).startswith("Các xã, phường của Nghệ An.")


def test_a_choice_question_takes_its_option_typed_or_by_number(here: Motcua) -> None:
    """Citizens type "me" for "Mẹ", or the option's number as chats without buttons show it."""
    *_, relationship, _child, _born, sex = jsonl(
        here,
        "types-choices",
        *birth_filing(
            {"text": "me"}, {"text": "Nguyễn Văn An"}, {"text": "20/11/2026"}, {"text": "2"}
        ),
    )
    assert "Câu 6/10" in texts_of(relationship)  # "me" answered question 5 (and the mother's name)
    assert "Câu 9/10" in texts_of(sex)  # "2" answered question 8
    [birthplace] = jsonl(here, "types-choices", {"text": "1"})
    assert "Xin nhập đầy đủ địa chỉ" in texts_of(birthplace)  # typed text here, not a button


def test_a_mother_filing_her_childs_birth_is_not_asked_her_name_again(here: Motcua) -> None:
    """She typed her name as the applicant's and answered "Mẹ": the mother's name was asked
    again. It is filled, said so at the review, left out of the questions' count, and follows
    a change made there."""
    user = "mother-files"
    *_, place = jsonl(
        here,
        user,
        *birth_filing(
            {"text": "Mẹ"},
            *({"text": t} for t in ("Nguyễn Văn An", "20/11/2026", "nam")),
            {"text": "Bệnh viện Bạch Mai, Hà Nội"},
        ),
    )
    assert "Câu 10/10: Họ tên người cha" in texts_of(place)  # the mother's is not counted
    _skip, review = jsonl(here, user, {"text": "bo qua"}, {"text": "nhan tai bo phan mot cua"})
    filled = "(điền sẵn)"
    assert f"Họ tên người mẹ: Nguyễn Thị Hoà {filled}" in texts_of(review)
    _picker, _asked, mother, changed = jsonl(
        here,
        user,
        {"button": "f:chg"},
        {"button": "f:e:4"},  # "Bạn là ... của trẻ"
        {"button": "f:c:father"},
        {"text": "Trần Thị Mai"},
    )
    assert "Câu 10/11: Họ tên người mẹ" in texts_of(mother)
    assert "Họ tên người mẹ: Trần Thị Mai\n" in texts_of(changed)
    assert f"Họ tên người cha: Nguyễn Thị Hoà {filled}" in texts_of(changed)


def test_typing_skip_skips_an_optional_question_instead_of_becoming_its_answer(
    here: Motcua,
) -> None:
    """ "bo qua" at the father's name used to be kept as the father's name."""
    *_, delivery, review = jsonl(
        here,
        "types-skip",
        *birth_filing(
            {"text": "me"},
            *({"text": t} for t in ("Nguyễn Văn An", "20/11/2026", "nam")),
            *({"text": t} for t in ("Bệnh viện Bạch Mai, Hà Nội", "bo qua")),
            {"text": "nhan tai bo phan mot cua"},
        ),
    )
    assert "Bạn muốn nhận kết quả bằng cách nào?" in texts_of(delivery)
    assert "Họ tên người cha: (bỏ qua)" in texts_of(review)


def test_submit_a_dossier_takes_an_unfinished_filing_up_where_it_stopped(here: Motcua) -> None:
    """Going to the menu halfway (or tapping an old button) and back through "Submit a
    dossier" loses nothing typed."""
    user = "comes-back-to-file"
    jsonl(here, user, *birth_filing({"button": "f:c:mother"}))
    menu_shown, resumed, child = jsonl(
        here, user, {"text": "menu"}, {"button": "m:submit"}, {"text": "Nguyễn Văn An"}
    )
    assert "m:submit" in payloads(menu_shown)
    assert "Bạn đang nộp dở hồ sơ “Thủ tục đăng ký khai sinh”" in texts_of(resumed)
    assert "Câu 6/10" in texts_of(resumed) and "f:ok" not in payloads(resumed)
    assert "Câu 7/10" in texts_of(child)


def test_submit_a_dossier_after_a_card_also_offers_the_other_procedures(here: Motcua) -> None:
    """After a card, the menu's "Nộp hồ sơ" goes straight to that procedure's notice; refusing
    it and tapping "Nộp hồ sơ" again came back to the same notice, so a citizen who wanted to
    file another procedure could not choose it from the menu."""
    user = "files-another"
    _card, notice, _refused, again, others, death = jsonl(
        here,
        user,
        {"button": "proc:1.001193"},
        {"button": "m:submit"},
        {"button": "f:no"},
        {"button": "m:submit"},
        {"text": "Chọn thủ tục khác"},
        {"button": "f:go:1.000656"},
    )
    assert "Để nộp “Thủ tục đăng ký khai sinh”" in texts_of(notice)
    assert button(again, "f:all")["label"] == "Chọn thủ tục khác"
    assert {"f:go:1.001193", "f:go:1.000656"} <= set(payloads(others))
    assert "Để nộp “Thủ tục đăng ký khai tử”" in texts_of(death)
    [chosen] = jsonl(here, "chose-on-the-card", {"button": "f:go:1.001193"})
    assert "f:all" not in payloads(chosen)  # chosen on its card: no other to offer


def one_procedure_fee(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str, name: str, time: Duration, fee: str
) -> None:
    """A knowledge base of one procedure whose in-person fee the portal gave only in words."""
    procedure = Procedure(
        code=code,
        name=name,
        levels=("Cấp tỉnh",),
        channels=(Channel(ChannelKind.IN_PERSON, time, Fee(None, fee)),),
        documents=(DocumentGroup("", (Document("Đơn đề nghị", originals=1),)),),
    )
    knowledge = tmp_path / f"{code}.json.gz"
    save_knowledge_base([procedure], knowledge)
    monkeypatch.setenv("MOTCUA_KNOWLEDGE_PATH", str(knowledge))


def test_a_free_fee_the_portal_wrote_mien_phi_dong_is_shown_free(
    here: Motcua, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped knowledge base: temporary residence's card read "Miễn phí Đồng" and a port
    clearance's "Phí : Không Đồng"."""
    monkeypatch.delenv("MOTCUA_KNOWLEDGE_PATH")
    pages = []
    [answer] = jsonl(here, "reads-fees", {"button": "proc:1.004194"})
    while more := [p for p in payloads(answer) if p.startswith("more:")]:
        pages.append(texts_of(answer))
        [answer] = jsonl(here, "reads-fees", {"button": more[0]})
    card = "\n".join([*pages, texts_of(answer)])
    assert "Miễn phí - Trường hợp công dân thuộc diện được miễn phí" in card
    assert "Đồng" not in card.replace("Hội đồng", "")
    [port] = jsonl(here, "reads-fees", {"button": "proc:1.013577"})
    assert "Lệ phí: miễn phí" in texts_of(port)


def test_more_typed_without_its_counter_continues_a_long_card(
    here: Motcua, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "xem them" typed under "Xem thêm (2/3)" was searched as a procedure's name."""
    monkeypatch.delenv("MOTCUA_KNOWLEDGE_PATH")
    card, second = jsonl(here, "types-more", {"button": "proc:1.004194"}, {"text": "xem them"})
    assert any(p.startswith("more:") and p.endswith(":1") for p in payloads(card))
    assert any(p.startswith("more:") and p.endswith(":2") for p in payloads(second))
    assert "tôi chưa tìm thấy" not in texts_of(second)


def test_each_contradiction_says_what_it_is_about_and_a_passage_is_quoted_once(
    here: Motcua, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A time of "5" without its unit, and a fee that is "free" beside a price with a discount
    that ended (two contradictions in one passage): a line each, saying which fact to check
    and quoting the portal. The time was said twice ("⚠ cần hỏi lại…: 5", then "⚠ Hãy hỏi
    lại… chỉ ghi: “5”"): its own line now says both."""
    fee = (
        "Miễn phí (Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần. Nộp trực tuyến: kể từ ngày "
        "01/12/2023 đến hết ngày 31/12/2025, áp dụng mức thu lệ phí là 115.000 đồng/lần cấp.)"
    )
    time = Duration(5, None, "5")
    one_procedure_fee(tmp_path, monkeypatch, "3.000348", "Cấp lại giấy phép lái xe", time, fee)

    card, more = jsonl(
        here, "driver", {"text": "cap lai giay phep lai xe"}, {"button": "Xem thêm (2/2)"}
    )
    shown = texts_of(card) + "\n" + texts_of(more)
    assert "Mã thủ tục: 3.000348" in shown  # the card's last line: the whole card was read
    flags = [line for line in shown.splitlines() if "⚠" in line and "Lệ phí:" not in line]
    assert flags == [
        "Thời gian giải quyết: ⚠ cần hỏi lại bộ phận một cửa: 5 (Cổng Dịch vụ công không ghi "
        "đơn vị)",
        f"⚠ Hãy hỏi lại bộ phận một cửa về lệ phí; cổng dịch vụ công ghi: “{fee}”",
    ]
    assert "“5”" not in shown  # the time's words, said once, on its line


def test_a_fact_in_doubt_is_marked_on_the_first_screen(
    here: Motcua, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fee written "free" beside a price: the first bubble's fee line says to check it, not
    only the quoting line one "More" away; a fact not in doubt keeps its plain line."""
    fee = "Miễn phí (Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)"
    time = Duration(5, "Ngày làm việc", "5")
    one_procedure_fee(tmp_path, monkeypatch, "3.000347", "Đổi giấy phép lái xe", time, fee)

    (card,) = jsonl(here, "driver", {"text": "doi gplx"})
    first = card["replies"][0]["text"].splitlines()
    (fee_line,) = [line for line in first if line.startswith("Lệ phí:")]
    assert fee_line.startswith("Lệ phí: ⚠ cần hỏi lại bộ phận một cửa: Miễn phí")
    (time_line,) = [line for line in first if line.startswith("Thời gian giải quyết:")]
    assert "⚠" not in time_line


def test_a_fee_the_portal_wrote_7_000_dong_is_shown_7_000_dong(
    here: Motcua, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The portal's fee cells write "7,000 Đồng" and "250,000 VNĐ": the card says "7.000 đồng",
    the same amounts, and leaves an amount already written the Vietnamese way as it was."""
    fee = "7,000 Đồng (Trực tiếp: thu 7.000 đồng/lần); 250,000 VNĐ (Theo danh sách)"
    time = Duration(3, "Ngày làm việc", "3")
    one_procedure_fee(tmp_path, monkeypatch, "1.004194", "Đăng ký tạm trú", time, fee)

    (card,) = jsonl(here, "fees", {"button": "proc:1.004194"})
    (fee_line,) = [line for line in texts_of(card).splitlines() if line.startswith("Lệ phí:")]
    assert fee_line == (
        "Lệ phí: 7.000 đồng (Trực tiếp: thu 7.000 đồng/lần); 250.000 đồng (Theo danh sách)"
    )


def test_the_menu_words_typed_without_diacritics_do_what_the_menu_does(here: Motcua) -> None:
    """Those who type rather than tap write the menu's words: "nop ho so", "ho so cua toi"."""
    submit, mine, lookup, staff, language, english = jsonl(
        here,
        "types-the-menu",
        {"text": "nop ho so"},
        {"text": "Hồ sơ của tôi"},
        {"text": "tra cuu ho so"},
        {"text": "hoi can bo"},
        {"text": "ngon ngu"},
        {"text": "talk to staff"},
    )
    assert "f:go:1.001193" in payloads(submit)
    assert "chưa nộp hồ sơ nào" in texts_of(mine) and "m:ask" not in payloads(mine)
    assert texts_of(lookup) == texts_of(mine)  # the menu's "Tra cứu hồ sơ", typed
    assert "cán bộ" in texts_of(staff) and "Xin lỗi" not in texts_of(staff)
    assert {"lang:vi", "lang:en"} <= set(payloads(language))
    assert texts_of(english) == texts_of(staff)


def test_the_menus_last_words_typed_do_what_the_menu_does_too(here: Motcua) -> None:
    """ "tham gia to cong nghe so" gave the card of a procedure for small businesses, and "hoi
    ve thu tuc" a guess at procedures: of the menu's words, only these were not read."""
    join, ask, join_en = jsonl(
        here,
        "types-the-menu-end",
        {"text": "tham gia to cong nghe so"},
        {"text": "Hỏi về thủ tục"},
        {"text": "join the digital-technology group"},
    )
    _menu, tapped_join, tapped_ask = jsonl(
        here, "taps-the-menu", {"text": "menu"}, {"button": "m:join"}, {"button": "m:ask"}
    )
    assert texts_of(join) == texts_of(tapped_join) and "vo:stop" in payloads(join)
    assert texts_of(ask) == texts_of(tapped_ask)
    assert payloads(join_en) == payloads(join)


def test_a_language_typed_by_its_name_is_chosen(here: Motcua) -> None:
    """ "English" typed at "Chọn ngôn ngữ:" showed the same question again, as did "tieng
    viet" after it: the language's name was read as the command for the question."""
    user = "types-languages"
    asked, english, vietnamese = jsonl(
        here, user, {"text": "ngon ngu"}, {"text": "English"}, {"text": "tiếng việt"}
    )
    assert {"lang:vi", "lang:en"} <= set(payloads(asked))
    assert texts_of(english).startswith("I will speak English from now on.")
    assert texts_of(vietnamese).startswith("Từ giờ tôi sẽ nói tiếng Việt.")
    [straight] = jsonl(here, "speaks-english", {"text": "tieng anh"})
    assert texts_of(straight).startswith("I will speak English from now on.")


def test_ok_and_goodbye_are_not_answered_you_are_welcome(here: Motcua) -> None:
    thanks, ok, yes, bye = jsonl(
        here,
        "small-talk",
        {"text": "cam on nhieu"},
        {"text": "ok"},
        {"text": "Vâng."},
        {"text": "tạm biệt"},
    )
    assert texts_of(thanks).startswith("Không có gì!")
    assert texts_of(ok).startswith("Vâng.") and texts_of(yes) == texts_of(ok)
    assert texts_of(bye).startswith("Chào bạn, hẹn gặp lại!")
    assert all(payloads(a) == ["m:menu"] for a in (thanks, ok, yes, bye))


def test_cancel_typed_during_a_filing_stops_it_as_its_button_does(here: Motcua) -> None:
    """ "hủy" used to say only that checklists were kept, and left the filing to come back."""
    *_, cancelled, again = jsonl(
        here, "cancels", *birth_filing({"text": "hủy"}), {"button": "f:go:1.001193"}
    )
    assert "Đã dừng nộp hồ sơ. Không có gì được gửi" in texts_of(cancelled)
    assert "Bạn có đồng ý không?" in texts_of(again)  # a new filing, from the notice


def test_a_case_typed_by_its_number_is_the_case_listed_under_that_number(
    here: Motcua, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The birth registration's list read "1. abandoned child, 2. surrogacy" while its buttons
    began with the usual case, so "2" chose the abandoned child."""
    monkeypatch.delenv("MOTCUA_KNOWLEDGE_PATH")  # the shipped knowledge base: the real cases
    asked, chosen = jsonl(here, "case-by-number", {"button": "cl:go:1.001193"}, {"text": "2"})
    listed = [line for line in texts_of(asked).splitlines() if line[:3] in ("1. ", "2. ")]
    assert listed[0] == "1. Thông thường, không thuộc trường hợp nào"
    assert "bỏ rơi" in listed[1]
    assert "Giấy tờ 1/7" in texts_of(chosen)  # the abandoned child's papers, as listed


def test_a_case_is_chosen_by_its_words_and_anything_else_is_asked_again(
    here: Motcua, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "abc" or a question typed at "Which one is yours?" used to be searched as a procedure
    and left the checklist without a case; the case's own words ("bỏ rơi") did the same."""
    monkeypatch.delenv("MOTCUA_KNOWLEDGE_PATH")  # the shipped knowledge base: the real cases
    asked, *again, chosen, summary = jsonl(
        here,
        "case-by-words",
        {"button": "cl:go:1.001193"},
        {"text": "abc"},
        {"text": "dang ky ket hon"},
        {"text": "tre em"},  # words of both special cases' titles: not guessed
        {"text": "bỏ rơi"},
        {"button": "cl:sum:1.001193"},
    )
    for reply in again:
        assert texts_of(reply).startswith("Xin bấm nút đúng trường hợp của bạn")
        assert payloads(reply) == payloads(asked)  # the case buttons again, and the menu
        assert "m:menu" in payloads(reply)
    assert "Giấy tờ 1/7" in texts_of(chosen)
    assert "Trường hợp của bạn: Trẻ em bị bỏ rơi" in texts_of(summary)
    _asked, usual = jsonl(here, "usual", {"button": "cl:go:1.001193"}, {"text": "thong thuong"})
    assert "Giấy tờ 1/6" in texts_of(usual)  # the usual case: no special paper
    _asked, left = jsonl(here, "leaves", {"button": "cl:go:1.001193"}, {"text": "menu"})
    assert "m:submit" in payloads(left)  # a command still leaves the question


def test_words_where_a_link_code_is_asked_get_the_question_again(here: Motcua) -> None:
    """ "abc" typed after "Enter a code" used to be searched as a procedure's name."""
    _asked, again = jsonl(here, "links", {"button": "lk:enter"}, {"text": "abc"})
    assert texts_of(again).startswith("Mã liên kết gồm 6 chữ số")
    assert payloads(again) == ["m:menu"]


def test_a_link_code_typed_without_enter_a_code_first_links_the_apps(here: Motcua) -> None:
    """Citizens type the code the other app showed straight in, without "Nhập mã" first: it was
    taken for a relative's consent code, refused, and they were told to ask "the person
    helping you" for a new one."""
    [shown] = jsonl(here, "phone", {"button": "lk:get"})
    code = re.search(r"\d{3} \d{3}", texts_of(shown))
    assert code is not None
    linked, wrong = jsonl(here, "computer", {"text": code.group(0)}, {"text": "000 000"})
    assert texts_of(linked).startswith("Xong! Các ứng dụng của bạn đã được liên kết")
    assert "người giúp bạn" not in texts_of(wrong)  # neither kind of code: said for both
    assert texts_of(wrong).startswith("Tôi không tìm thấy gì với số này")


def _link_code(here: Motcua, user: str) -> str:
    """A link code got on ``user``'s app, as the citizen reads it ("123 456")."""
    [shown] = jsonl(here, user, {"button": "lk:get"})
    code = re.search(r"\d{3} \d{3}", texts_of(shown))
    assert code is not None
    return code.group(0)


def _other(code: str, n: int) -> str:
    """A wrong code: ``code`` plus ``n``, six digits."""
    return f"{(int(code.replace(' ', '')) + n) % 1_000_000:06d}"


def test_wrong_codes_typed_alone_by_many_apps_kill_a_live_link_code(here: Motcua) -> None:
    """A code typed without "Nhập mã" is a guess like any other: five wrong ones from five
    apps, and the right code no longer links (the guess budget every code shares)."""
    code = _link_code(here, "phone")
    for n in range(1, 6):
        [wrong] = jsonl(here, f"guesser-{n}", {"text": _other(code, n)})
        assert not texts_of(wrong).startswith("Xong")
    [late] = jsonl(here, "computer", {"text": code})
    assert not texts_of(late).startswith("Xong"), texts_of(late)


def test_an_app_typing_wrong_codes_alone_is_locked_out_even_for_the_right_one(
    here: Motcua,
) -> None:
    """The lockout of an app that keeps guessing holds on codes typed alone too."""
    code = _link_code(here, "phone")
    *wrongs, locked = jsonl(
        here, "guesser", *({"text": _other(code, n)} for n in range(1, 6)), {"text": code}
    )
    assert all(texts_of(w).startswith("Tôi không tìm thấy gì") for w in wrongs)
    assert texts_of(locked).startswith("Đã gõ sai mã quá nhiều lần")


def test_a_number_that_is_no_code_is_answered_and_a_later_code_still_links(
    here: Motcua,
) -> None:
    """A citizen who types six digits that are no code (part of a phone number, a receipt's
    number) never asked to link: they are told what to do next, not that their code failed,
    and the code they get afterwards links."""
    [number] = jsonl(here, "computer", {"text": "091 234"})
    assert "Mã này không dùng được" not in texts_of(number)
    assert "cho tôi biết bằng vài từ bạn cần gì" in texts_of(number)
    code = _link_code(here, "phone")
    [linked] = jsonl(here, "computer", {"text": code})
    assert texts_of(linked).startswith("Xong! Các ứng dụng của bạn đã được liên kết")


def test_is_it_this_commune_is_answered_in_a_word(here: Motcua) -> None:
    """ "đúng" typed to "Có phải Phường Ba Đình, Hà Nội không?" was searched as a commune's
    name and offered "Xã Xa Dung"; "không" offered places named like "không" too."""
    *_, asked, searched_again, _asked_again, yes = jsonl(
        here,
        "answers-is-it",
        {"text": "thong bao cua xa"},
        {"text": "phuong ba dinh"},
        {"text": "khong"},
        {"text": "phuong ba dinh"},
        {"text": "Đúng."},
    )
    assert texts_of(asked) == "Có phải Phường Ba Đình, Hà Nội không?"
    assert texts_of(searched_again).startswith("Bạn ở xã, phường nào?")
    assert texts_of(yes).startswith("Xong: xã, phường của bạn là Phường Ba Đình, Hà Nội.")
    _asked, named = jsonl(here, "types-a-name", {"text": "thong bao cua xa"}, {"text": "dung"})
    assert "Phường Yên Dũng, Bắc Ninh" in [b["label"] for b in named["replies"][0]["buttons"]]


def test_words_at_the_join_requests_review_send_it_or_show_it_again(here: Motcua) -> None:
    """ "gui" at the review of a request to join the digital-technology group was searched as
    a procedure; the request was left behind and its "Gửi yêu cầu" no longer worked."""
    *_, review, again, sent = jsonl(
        here,
        "joins-in-words",
        {"text": "tham gia to cong nghe so"},
        {"text": "Trần Văn Minh"},
        {"text": "phuong ba dinh"},
        {"button": "Đúng, nơi tôi ở"},
        {"text": "0987654321"},
        {"text": "abc"},
        {"text": "gửi"},
    )
    assert "vo:send" in payloads(review)
    assert texts_of(again).startswith("Xin bấm “Gửi yêu cầu” để gửi")
    assert "Họ tên: Trần Văn Minh" in texts_of(again) and payloads(again) == payloads(review)
    assert texts_of(sent).startswith("Yêu cầu của bạn đã được chuyển tới người điều phối")


def test_music_is_no_reminder_and_a_reminder_is_no_address(here: Motcua) -> None:
    """ "nhạc" (music) folds to the "nhac" of "nhắc tôi": a question about a music licence was
    answered "nothing to remind you about"; and "nhắc tôi 7 giờ tối mai" typed where a filing
    asked the address was kept as the address."""
    music, plain_music, asked, plain_asked = jsonl(
        here,
        "asks-about-music",
        {"text": "cấp phép biểu diễn âm nhạc"},
        {"text": "bieu dien am nhac"},
        {"text": "nhắc tôi 7 giờ tối mai"},
        {"text": "nhac toi 7 gio toi mai"},
    )
    for question in (music, plain_music):
        assert "nhắc" not in texts_of(question)
    for reminder in (asked, plain_asked):
        assert "Chưa có việc gì để nhắc" in texts_of(reminder)
    *_, at_address, resumed = jsonl(
        here,
        "reminder-at-address",
        {"button": "f:go:1.001193"},
        {"button": "f:ok"},
        *({"text": t} for t in APPLICANT[:3]),
        {"text": "nhắc tôi 7 giờ tối mai"},
        {"button": "m:submit"},
    )
    assert "Câu 4/11" in texts_of(at_address) and "Câu 5/11" not in texts_of(at_address)
    assert "Nộp hồ sơ" in texts_of(at_address)  # how to come back to it
    assert "Câu 4/11" in texts_of(resumed)  # the address is still to answer


def test_continue_typed_after_pausing_goes_on_with_the_checklist(here: Motcua) -> None:
    """ "tiep tuc" after "Tạm dừng" was searched as a procedure's name."""
    _first, _have, paused, resumed = jsonl(
        here,
        "pauses",
        {"button": "cl:go:1.001193"},
        {"text": "co"},
        {"button": "cl:stop:1.001193"},
        {"text": "tiep tuc"},
    )
    assert "Đã lưu: đã xem xong 1/" in texts_of(paused)
    assert "Giấy tờ 2/" in texts_of(resumed)


@pytest.mark.parametrize("word", ["có", "không"])
def test_a_word_at_the_rating_answers_it_as_its_button_does(here: Motcua, word: str) -> None:
    """ "có" typed at "Did this help you?" under a finished checklist was searched as a
    procedure's name."""
    user = f"rates-{word}"
    [shown] = jsonl(here, user, {"button": "cl:go:1.001193"})
    for _ in range(10):
        if "rt:c:1" in payloads(shown):
            break
        [shown] = jsonl(here, user, {"button": button(shown, "cl:have:")["payload"]})
    assert "Thông tin này có giúp ích cho bạn không?" in texts_of(shown)
    [rated] = jsonl(here, user, {"text": word})
    assert texts_of(rated).startswith("Cảm ơn bạn! Nếu muốn, bạn hãy gõ góp ý")
    assert payloads(rated) == ["rt:skip", "m:menu"]


def test_the_join_forms_commune_question_is_left_by_its_cancel_as_its_others_are(
    here: Motcua,
) -> None:
    """The commune question of the digital-technology group's join form offered "Menu", which
    left the request half-made, where its other questions offer "Hủy"."""
    user = "joins"
    asked_name, commune, unknown, province = jsonl(
        here,
        user,
        {"button": "m:join"},
        {"text": "Trần Văn Bình"},
        {"text": "xyz abc"},
        {"button": "nw:pv:1:0"},
    )
    assert payloads(asked_name) == ["vo:stop"]
    for answer in (commune, unknown, province):
        assert payloads(answer)[-1] == "vo:stop" and "m:menu" not in payloads(answer)
    [stopped] = jsonl(here, user, {"button": "vo:stop"})
    assert texts_of(stopped).startswith("Vâng, chưa gửi yêu cầu nào")
    [news] = jsonl(here, "reads-news", {"button": "m:news"})
    assert payloads(news)[-1] == "m:menu"  # the announcements' picker keeps its "Menu"


def test_a_document_is_answered_in_a_word(here: Motcua) -> None:
    """ "co" and "chua" at "Do you have it?" used to be searched as procedure names."""
    _first, have, missing = jsonl(
        here, "answers-in-words", {"button": "cl:go:1.001193"}, {"text": "co"}, {"text": "Chưa."}
    )
    assert "Giấy tờ 2/" in texts_of(have)
    assert "Giấy tờ 3/" in texts_of(missing)
    assert "chưa tìm thấy thủ tục" not in texts_of(have) + texts_of(missing)
    [words] = jsonl(here, "answers-in-words", {"text": "dang ky khai tu"})
    assert "Thủ tục đăng ký khai tử" in texts_of(words)  # any other words are still a question


def test_the_notice_is_agreed_to_or_refused_in_words(here: Motcua) -> None:
    """ "đồng ý" typed at "Do you agree?" used to be searched as a procedure's name."""
    _notice, agreed = jsonl(here, "agrees", {"button": "f:go:1.001193"}, {"text": "đồng ý"})
    assert "Câu 1/11" in texts_of(agreed)
    _notice, refused = jsonl(here, "refuses", {"button": "f:go:1.001193"}, {"text": "Không."})
    assert "không có thông tin nào được lưu" in texts_of(refused)
    _notice, unclear = jsonl(here, "unclear", {"button": "f:go:1.001193"}, {"text": "ok"})
    assert "Câu 1/11" not in texts_of(unclear)  # consent is given only in so many words


BIRTH_ANSWERED = (
    {"text": "me"},
    *({"text": t} for t in ("Nguyễn Văn An", "20/11/2026", "nam")),
    *({"text": t} for t in ("Bệnh viện Bạch Mai, Hà Nội", "bo qua")),
    {"text": "nhan tai bo phan mot cua"},
)
"""The rest of the birth registration typed, up to its review."""


def test_words_at_the_review_keep_the_dossier_and_a_change_can_be_given_up(here: Motcua) -> None:
    """Words typed at the review ("gui", a question) or at "Which answer do you want to
    change?" ("quay lai") used to be searched as a procedure's name ("chưa tìm thấy thủ tục"),
    and that list of answers had no way back to the review but stopping the whole filing."""
    *_, review, asked, picker, again, back, sent = jsonl(
        here,
        "reviews-in-words",
        *birth_filing(*BIRTH_ANSWERED),
        {"text": "le phi bao nhieu"},
        {"button": "f:chg"},
        {"text": "abc"},
        {"text": "quay lai"},
        {"text": "gửi"},
    )
    assert "Xin kiểm tra hồ sơ" in texts_of(review)
    assert texts_of(asked).startswith("Xin bấm một nút bên dưới")
    assert payloads(asked) == payloads(review)  # the review's buttons again
    assert button(picker, "f:rv")["label"] == "Quay lại xem hồ sơ"
    assert texts_of(again).startswith("Xin bấm câu trả lời bạn muốn sửa")
    assert payloads(again) == payloads(picker)
    assert "Xin kiểm tra hồ sơ" in texts_of(back) and "f:send" in payloads(back)
    assert "Đang gửi hồ sơ của bạn lên cổng một cửa" in texts_of(sent)
    for answer in (asked, again, back, sent):
        assert "chưa tìm thấy thủ tục" not in texts_of(answer)
    *_, tapped_back = jsonl(
        here, "taps-back", *birth_filing(*BIRTH_ANSWERED), {"button": "f:chg"}, {"button": "f:rv"}
    )
    assert "Xin kiểm tra hồ sơ" in texts_of(tapped_back)


def test_the_way_to_receive_the_result_is_answered_in_words(here: Motcua) -> None:
    """ "buu dien" typed where the delivery is asked used to be searched as a procedure."""
    *_, by_post = jsonl(
        here,
        "types-delivery",
        *birth_filing(
            {"text": "me"},
            *({"text": t} for t in ("Nguyễn Văn An", "20/11/2026", "nam")),
            *({"text": t} for t in ("Bệnh viện Bạch Mai, Hà Nội", "bo qua")),
            {"text": "Bưu điện"},
        ),
    )
    assert "Bưu điện gửi kết quả tới đâu" in texts_of(by_post)


def test_a_provinces_own_versions_of_a_procedure_are_told_apart(
    here: Motcua, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Provinces publish their versions under the national name: "Cấp xã" five times over is
    no choice; each button and line names the province whose version it is."""
    land = "Đăng ký đất đai, cấp Giấy chứng nhận quyền sử dụng đất lần đầu cho hộ gia đình, cá nhân"
    national = replace(DEATH, code="1.013978", name=land, field="Đất đai", ministry="bo-nn-mt")
    versions = [
        national,
        replace(national, code="1.115334", ministry="UBND tỉnh Đắk Lắk"),
        replace(national, code="1.115375", ministry="UBND Thành phố Hải Phòng"),
    ]
    knowledge = tmp_path / "land.json.gz"
    save_knowledge_base(versions, knowledge)
    monkeypatch.setenv("MOTCUA_KNOWLEDGE_PATH", str(knowledge))

    (answer,) = jsonl(here, "land", {"text": "cap giay chung nhan quyen su dung dat lan dau"})

    labels = [b["label"] for r in answer["replies"] for b in r["buttons"]]
    assert {"Cấp xã", "Cấp xã (Đắk Lắk)", "Cấp xã (Hải Phòng)"} <= set(labels)
    assert len(set(labels)) == len(labels)
    assert f"{land} (Đắk Lắk)" in answer["replies"][0]["text"]


def test_ho_so_alone_shows_ones_dossiers_and_offers_to_file_one(here: Motcua) -> None:
    """ "hồ sơ" typed alone is not a procedure to search for: it is one's dossiers."""
    mine, offer = jsonl(here, "ho-so", {"text": "ho so"}, {"button": "Nộp hồ sơ"})

    assert "Bạn chưa nộp hồ sơ nào" in mine["replies"][0]["text"]
    assert "chưa tìm thấy thủ tục" not in json.dumps(mine, ensure_ascii=False)
    labels = [b["label"] for r in offer["replies"] for b in r["buttons"]]
    assert {"Đăng ký khai sinh", "Đăng ký khai tử"} <= set(labels)


def test_short_words_that_name_no_procedure_get_the_menu_and_never_a_card(
    here: Motcua, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "dung lai" typed under a card was searched and got an investment procedure's card ("xây
    dựng lại" a building); "thôi", "vâng ạ", "cảm ơn bạn nhiều nhé" got "not found"."""
    monkeypatch.delenv("MOTCUA_KNOWLEDGE_PATH")  # the shipped knowledge base: the wrong card
    _card, stopped, enough = jsonl(
        here, "stops", {"text": "dang ky khai sinh"}, {"text": "dung lai"}, {"text": "thôi nhé"}
    )
    for answer in (stopped, enough):
        assert texts_of(answer).startswith("Đã dừng.\n")
        assert "m:ask" in payloads(answer) and "m:submit" in payloads(answer)  # the menu
        assert not any(p.startswith(("cl:go:", "proc:")) for p in payloads(answer))
    yes, thanks, what = jsonl(
        here,
        "at-the-menu",
        {"text": "vâng ạ"},
        {"text": "cảm ơn bạn nhiều nhé"},
        {"text": "giúp tôi với"},
    )
    assert texts_of(yes).startswith("Vâng. Bạn cần gì cứ nhắn câu hỏi")
    assert texts_of(thanks).startswith("Không có gì!")
    assert texts_of(what).startswith("Tôi giúp bạn làm thủ tục hành chính")
    assert "m:ask" in payloads(what) and "m:staff" in payloads(what)
    *_, english, helped = jsonl(
        here, "stops-en", {"text": "english"}, {"text": "ok thank you"}, {"text": "help me"}
    )
    assert texts_of(english).startswith("You are welcome!")
    assert texts_of(helped).startswith("I help you with public services")


def test_an_operation_typed_without_what_it_applies_to_gets_no_card(
    here: Motcua, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "lost it" typed at the menu got a driving licence's reissue card ("lost" is "cấp lại",
    which the priors settled on a licence), and so did "cấp lại" or "bị mất rồi"."""
    monkeypatch.delenv("MOTCUA_KNOWLEDGE_PATH")  # the shipped knowledge base: the wrong card
    _english, lost, i_lost, licence = jsonl(
        here,
        "lost-en",
        {"text": "english"},
        {"text": "lost it"},
        {"text": "I lost it"},
        {"text": "lost my driving licence"},
    )
    for answer in (lost, i_lost):
        assert texts_of(answer).startswith("Sorry, I could not find a procedure")
        assert not any(p.startswith(("cl:go:", "proc:")) for p in payloads(answer))
    assert "cl:go:3.000348" in payloads(licence)  # said what was lost: its reissue
    reissue, missing = jsonl(here, "lost-vi", {"text": "cấp lại"}, {"text": "bị mất rồi"})
    for answer in (reissue, missing):
        assert texts_of(answer).startswith("Xin lỗi, tôi chưa tìm thấy thủ tục phù hợp")


def test_words_typed_at_a_paper_answer_that_paper(here: Motcua) -> None:
    """ "mất rồi", "bỏ qua", "cái này là gì" typed at "Do you have it?" were searched as a
    procedure's name; "ok" there got "all right" and the paper's buttons were gone."""
    _first, explained, ok, lost = jsonl(
        here,
        "types-answers",
        {"button": "cl:go:1.001193"},
        {"text": "cái này là gì vậy"},
        {"text": "ok"},
        {"text": "mất rồi"},
    )
    assert "Tờ khai đăng ký khai sinh" in texts_of(explained)
    assert "cán bộ bộ phận một cửa của xã/phường sẽ giải thích" in texts_of(explained)
    assert texts_of(ok).startswith("Xin bấm một nút, hoặc gõ “có”")
    assert "Giấy tờ 1/" in texts_of(ok) and any(p.startswith("cl:have:") for p in payloads(ok))
    assert texts_of(lost).startswith("Bị mất: tôi đã ghi giấy này vào danh sách")
    assert "Giấy tờ 2/" in texts_of(lost)
    [skipped] = jsonl(here, "types-answers", {"text": "bỏ qua nhé"})
    assert texts_of(skipped).startswith("Đã bỏ qua: tôi đã ghi giấy này")
    [summary] = jsonl(here, "types-answers", {"button": "cl:sum:1.001193"})
    assert "Còn thiếu: 2." in texts_of(summary)
    assert "Tờ khai đăng ký khai sinh" in texts_of(summary)  # lost: where to get it again
    *_, english, lost_en = jsonl(
        here,
        "types-answers-en",
        {"text": "english"},
        {"button": "cl:go:1.001193"},
        {"text": "ok"},
        {"text": "I lost it"},
    )
    assert texts_of(english).startswith("Please tap a button, or type “yes”, “not yet”")
    assert texts_of(lost_en).startswith("Lost: I put this paper on your list")


def test_what_papers_typed_at_a_list_of_close_cases_asks_to_choose_first(
    here: Motcua, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "cần giấy tờ gì" typed at "There are a few similar cases" was searched alone, named no
    procedure and got "not found", the list of cases gone."""
    monkeypatch.delenv("MOTCUA_KNOWLEDGE_PATH")  # the shipped knowledge base: close cases
    listed, asked, chosen = jsonl(
        here, "asks-first", {"text": "dk ket hon"}, {"text": "cần giấy tờ gì ạ"}, {"text": "1"}
    )
    assert "Có vài trường hợp gần giống nhau" in texts_of(listed)
    assert texts_of(asked).startswith("Giấy tờ cần mang tùy theo thủ tục: bạn chọn đúng")
    assert payloads(asked) == payloads(listed)
    assert payloads(chosen) and payloads(listed)[0] == "proc:" + button(chosen, "cl:go:")[
        "payload"
    ].removeprefix("cl:go:")


def test_stop_typed_at_a_filings_question_pauses_it_and_keeps_every_answer(
    here: Motcua,
) -> None:
    """ "thôi" typed at "Your full name" became the applicant's name, sent to the portal, and
    "dừng lại" at the ID number was refused as one."""
    user = "pauses-a-filing"
    _notice, asked, paused = jsonl(
        here, user, {"button": "f:go:1.001193"}, {"button": "f:ok"}, {"text": "thôi nhé"}
    )
    assert "Câu 1/11" in texts_of(asked)
    assert texts_of(paused).startswith("Đã tạm dừng. Mọi điều bạn đã nhập vẫn được giữ")
    assert payloads(paused) == ["f:go:1.001193", "f:stop", "m:menu"]
    *_, at_id, stopped, resumed = jsonl(
        here,
        user,
        {"button": "f:go:1.001193"},  # nothing typed yet: the notice again
        {"button": "f:ok"},
        {"text": APPLICANT[0]},
        {"text": "dừng lại"},
        {"button": "f:go:1.001193"},
    )
    assert "Câu 2/11" in texts_of(at_id)
    assert texts_of(stopped).startswith("Đã tạm dừng.")
    assert "Bạn đang nộp dở hồ sơ" in texts_of(resumed) and "Câu 2/11" in texts_of(resumed)
    review = jsonl(here, user, *({"text": t} for t in APPLICANT[1:]), *BIRTH_ANSWERED)[-1]
    assert f"Họ tên của bạn: {APPLICANT[0]}" in texts_of(review)


def test_stop_typed_where_any_text_is_an_answer_leaves_as_cancel_does(here: Motcua) -> None:
    """ "thôi" typed where staff's question is asked was handed to the commune's staff, at the
    commune picker searched as a commune's name, and at the join form became the member's
    name."""
    _asked, left_staff = jsonl(here, "leaves-staff", {"button": "m:staff"}, {"text": "thôi"})
    assert texts_of(left_staff).startswith("Đã dừng.\n")
    _asked, left_news = jsonl(here, "leaves-news", {"button": "m:news"}, {"text": "thôi nhé"})
    assert texts_of(left_news).startswith("Đã dừng.\n")
    assert not any(p.startswith("nw:") for p in payloads(left_news))
    _asked, commune, left_join = jsonl(
        here, "leaves-join", {"button": "m:join"}, {"text": "Trần Văn Dũng"}, {"text": "dừng lại"}
    )
    assert "nw:pv:" in json.dumps(commune)  # the commune question
    assert texts_of(left_join).startswith("Vâng, chưa gửi yêu cầu nào")
    _asked, chosen = jsonl(here, "leaves-join", {"button": "m:news"}, {"text": "phuong ba dinh"})
    assert "Câu 3/3" not in texts_of(chosen)  # announcements' commune, not the dropped form's


def test_the_way_to_receive_the_result_typed_in_english_or_unclear_keeps_the_question(
    here: Motcua,
) -> None:
    """ "at the one-stop desk" typed where the delivery is asked was searched, got "not found"
    and the question's buttons were gone; so did any other words typed there."""
    *_, unclear, picked = jsonl(
        here,
        "types-delivery-en",
        {"text": "english"},
        *birth_filing(
            {"text": "mother"},
            *({"text": t} for t in ("Nguyễn Văn An", "20/11/2026", "male")),
            *({"text": t} for t in ("Bach Mai hospital, Ha Noi", "skip")),
            {"text": "dang ky ket hon"},
            {"text": "At the one-stop desk, please"},
        ),
    )
    assert texts_of(unclear).startswith("Please tap one of the buttons.\nHow do you want")
    assert payloads(unclear) == ["f:d:pickup", "f:d:post", "f:stop"]
    assert "Result: pick up at the one-stop desk" in texts_of(picked)


def _rated(here: Motcua, user: str) -> None:
    """A finished checklist of one paper, rated useful."""
    jsonl(here, user, {"button": "cl:go:1.000656"}, {"text": "có"}, {"text": "có"})


def test_stop_or_skip_at_the_ratings_comment_keeps_no_comment_and_says_so(here: Motcua) -> None:
    """ "thôi" typed where a comment is invited was kept as the comment, and "Bỏ qua" was
    thanked with "the staff will read it" for a comment never written."""
    _rated(here, "rates-stops")
    [stopped] = jsonl(here, "rates-stops", {"text": "thôi"})
    assert texts_of(stopped) == "Cảm ơn bạn, đánh giá của bạn đã được ghi nhận."
    _rated(here, "rates-skips")
    [skipped] = jsonl(here, "rates-skips", {"button": "rt:skip"})
    assert texts_of(skipped) == texts_of(stopped)
    _rated(here, "rates-comments")
    [commented] = jsonl(here, "rates-comments", {"text": "Cán bộ rất nhiệt tình"})
    assert texts_of(commented) == "Cảm ơn bạn, cán bộ sẽ đọc góp ý này."
