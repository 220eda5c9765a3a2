"""WeCom callback XML -> Snapshot: every mapped field, the flow's current step, and hostile input."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.model import (
    Action,
    ApprovalMode,
    ApprovalStatus,
    Comment,
    Member,
    MemberStatus,
    Node,
    NodeType,
    Snapshot,
    dedupe_key,
)
from bot.providers.wecom import codes
from bot.providers.wecom.events import CallbackParseError, parse_event

FIXTURES = Path(__file__).parent / "fixtures" / "wecom"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def parse(xml: str) -> Snapshot | None:
    return parse_event(xml.encode("utf-8"))


def edited(name: str, old: str, new: str) -> str:
    """A fixture with one exact piece of text replaced (the piece must be there)."""
    xml = fixture(name)
    assert old in xml, old
    return xml.replace(old, new, 1)


SAMPLE = Snapshot(
    provider="wecom",
    number="202506110001",
    template_id="3TkaH5KFbrG9heEQWLJjhgpFwmqAFB4dLEnapaB7aaa",
    template_name="示例模板",
    status=ApprovalStatus.PENDING,
    applicant="WuJunJie",
    apply_time=1571728713,
    applicant_party="1",
    nodes=(
        Node(
            type=NodeType.APPROVER,
            mode=ApprovalMode.ANY,
            status=MemberStatus.PENDING,
            members=(Member("userid1"), Member("userid2")),
        ),
        Node(
            type=NodeType.CC, mode=ApprovalMode.ALL, status=MemberStatus.PENDING, members=(Member("userid3"),)
        ),
    ),
    cc=("ChengLiang",),
    comments=(Comment(id="6750538708562308220", user_id="LiuZhi", time=1571732272, content="这是一个备注"),),
    action=Action.COMMENT,
    event_time=1571732272,
)


# -- sys_approval_change ---------------------------------------------------------------------------------


def test_spec_sample_maps_every_field() -> None:
    snapshot = parse(fixture("sys_approval_change.xml"))

    assert snapshot == SAMPLE
    assert snapshot.has_details is False and snapshot.fields == () and snapshot.summary == ()
    assert snapshot.key == "wecom:202506110001"
    assert dedupe_key(snapshot).startswith("wecom:202506110001|10|1571732272|")


def test_process_list_wins_over_sp_record() -> None:
    snapshot = parse(fixture("sys_approval_change.xml"))

    users = [m.user_id for n in snapshot.nodes for m in n.members]
    assert users == ["userid1", "userid2", "userid3"]  # not WangXiaoMing & co. from SpRecord


def test_or_sign_waits_on_every_pending_member() -> None:
    snapshot = parse(fixture("sys_approval_change.xml"))

    assert snapshot.current_node() is snapshot.nodes[0]
    assert snapshot.waiting_on() == ("userid1", "userid2")
    assert snapshot.flow_nodes() == snapshot.nodes[:1]  # the CC node is no step
    assert snapshot.all_cc() == ("ChengLiang", "userid3")


def test_spno_stands_in_when_spnostr_is_absent() -> None:
    assert parse(fixture("sys_approval_change_spnoonly.xml")) == replace(SAMPLE, number="201910220003")


def test_spno_stands_in_when_spnostr_is_empty() -> None:
    xml = edited("sys_approval_change.xml", "<![CDATA[202506110001]]>", "<![CDATA[ ]]>")

    assert parse(xml).number == "201910220003"


def test_no_number_at_all_is_an_error() -> None:
    xml = edited("sys_approval_change_spnoonly.xml", "<SpNo>201910220003</SpNo>", "")

    with pytest.raises(CallbackParseError, match="SpNoStr or SpNo"):
        parse(xml)


def test_sp_record_builds_the_flow_without_process_list() -> None:
    snapshot = parse(fixture("sys_approval_change_sprecord_only.xml"))

    assert snapshot == Snapshot(
        provider="wecom",
        number="202506110002",
        template_id="3TkaH5KFbrG9heEQWLJjhgpFwmqAFB4dLEnapaB7bbb",
        template_name="报销",
        status=ApprovalStatus.PENDING,
        applicant="WuJunJie",
        apply_time=1571728713,
        applicant_party="2",
        nodes=(
            Node(
                type=NodeType.APPROVER,
                mode=ApprovalMode.ALL,  # ApproverAttr 2 = 会签
                status=MemberStatus.PENDING,
                members=(
                    Member(
                        "WangXiaoMing",
                        MemberStatus.APPROVED,
                        "同意，附发票",
                        1571735000,
                        ("media-invoice-1", "media-invoice-2"),
                    ),
                    Member("XiaoGangHuang"),  # spelled <Approvor> as in the spec's table
                ),
            ),
            Node(
                type=NodeType.APPROVER,
                mode=ApprovalMode.ANY,  # ApproverAttr 1 = 或签
                status=MemberStatus.PENDING,
                members=(Member("XiaoHongLiu"), Member("ZhangSan")),
            ),
        ),
        cc=("ChengLiang", "LiSi"),
        action=Action.APPROVE,
        event_time=1571740000,
    )


@pytest.mark.parametrize("replacement", ["", "<ProcessList>\n </ProcessList>"])
def test_spec_sample_sp_record_is_used_when_process_list_is_absent_or_empty(replacement: str) -> None:
    xml = fixture("sys_approval_change.xml")
    xml = re.sub(r"<ProcessList>.*</ProcessList>", replacement, xml, flags=re.DOTALL)

    snapshot = parse(xml)

    assert snapshot.nodes == (
        Node(
            NodeType.APPROVER,
            ApprovalMode.ALL,  # ApproverAttr 2 = 会签
            MemberStatus.PENDING,
            (Member("WangXiaoMing"), Member("XiaoGangHuang")),
        ),
        Node(NodeType.APPROVER, ApprovalMode.ANY, MemberStatus.PENDING, (Member("XiaoHongLiu"),)),
    )
    assert snapshot.waiting_on() == ("WangXiaoMing", "XiaoGangHuang")
    assert snapshot.all_cc() == ("ChengLiang",)


def test_all_sign_still_waits_on_whoever_has_not_approved() -> None:
    snapshot = parse(fixture("sys_approval_change_sprecord_only.xml"))

    assert snapshot.current_node() is snapshot.nodes[0]
    assert snapshot.waiting_on() == ("XiaoGangHuang",)
    assert snapshot.nodes[0].progress() == (1, 2)


def test_every_member_status_and_sequential_handling() -> None:
    snapshot = parse(fixture("sys_approval_change_statuses.xml"))

    assert snapshot == Snapshot(
        provider="wecom",
        number="202506110003",
        template_id="3TkaH5KFbrG9heEQWLJjhgpFwmqAFB4dLEnapaB7ccc",
        template_name="采购",
        status=ApprovalStatus.PENDING,
        applicant="WuJunJie",
        apply_time=1571728713,
        applicant_party="1",
        nodes=(
            Node(
                type=NodeType.APPROVER,
                mode=ApprovalMode.ALL,
                status=MemberStatus.APPROVED_AND_ADDED,
                members=(
                    Member("Approver1", MemberStatus.APPROVED_AND_ADDED, "同意，并请财务加签", 1571741000),
                    Member("Approver2", MemberStatus.ADDED, "", 1571741100),
                ),
            ),
            Node(
                type=NodeType.HANDLER,
                mode=ApprovalMode.SEQUENTIAL,
                status=MemberStatus.PENDING,
                members=(
                    Member("Handler1", MemberStatus.HANDLED, "已办理", 1571742000, ("media-receipt",)),
                    Member("Handler2", MemberStatus.HANDED_OVER, "转交给 Handler3", 1571742100),
                    Member("Handler3", MemberStatus.RETURNED, "退回给 Approver1", 1571742200),
                    Member("Handler4"),
                    Member("Handler5"),
                ),
            ),
            Node(
                type=NodeType.APPROVER,
                mode=ApprovalMode.ANY,
                status=MemberStatus.TRANSFERRED,
                members=(Member("Approver3", MemberStatus.TRANSFERRED, "转审", 1571743000),),
            ),
        ),
        action=Action.ADD_AND_APPROVE,
        event_time=1571750000,
    )


def test_sequential_waits_on_the_first_pending_member_only() -> None:
    snapshot = parse(fixture("sys_approval_change_statuses.xml"))

    assert snapshot.current_node() is snapshot.nodes[1]
    assert snapshot.waiting_on() == ("Handler4",)
    assert snapshot.nodes[1].progress() == (1, 5)


def test_comments_with_repeated_attachments() -> None:
    snapshot = parse(fixture("sys_approval_change_comments.xml"))

    assert snapshot.comments == (
        Comment("6750538708562308220", "LiuZhi", 1571752000, "病假条见附件", ("attach-1", "attach-2")),
        Comment("6750538708562308221", "WuJunJie", 1571753000, "收到，谢谢"),
    )
    assert snapshot.nodes[0].members == (
        Member("userid1", MemberStatus.APPROVED, "同意", 1571750000, ("media-a", "media-b")),
        Member("userid2", MemberStatus.APPROVED, "同意", 1571751000),
    )
    assert (snapshot.number, snapshot.status, snapshot.action) == (
        "202506110004",
        ApprovalStatus.APPROVED,
        Action.COMMENT,
    )
    assert snapshot.cc == ()
    assert snapshot.all_cc() == ("userid3",)


def test_a_decided_approval_waits_on_nobody() -> None:
    snapshot = parse(fixture("sys_approval_change_comments.xml"))

    assert snapshot.current_node() is None
    assert snapshot.waiting_on() == ()


@pytest.mark.parametrize("code", ["7", "99", "0"])
def test_unknown_status_change_event_names_no_action(code: str) -> None:
    xml = edited(
        "sys_approval_change.xml",
        "<StatuChangeEvent>10</StatuChangeEvent>",
        f"<StatuChangeEvent>{code}</StatuChangeEvent>",
    )

    assert parse(xml).action is None


def test_missing_status_change_event_names_no_action() -> None:
    xml = edited("sys_approval_change.xml", "<StatuChangeEvent>10</StatuChangeEvent>", "")

    assert parse(xml) == replace(SAMPLE, action=None)


@pytest.mark.parametrize("status", list(ApprovalStatus))
def test_every_approval_status(status: ApprovalStatus) -> None:
    xml = edited(
        "sys_approval_change.xml",
        "<SpStatus>1</SpStatus>\n <TemplateId>",
        f"<SpStatus>{status}</SpStatus>\n <TemplateId>",
    )

    assert parse(xml).status is status


def test_whitespace_around_values_and_plain_text_without_cdata() -> None:
    xml = edited(
        "sys_approval_change.xml",
        "<UserId><![CDATA[WuJunJie]]></UserId>",
        "<UserId>\n   <![CDATA[  WuJunJie ]]>\n </UserId>",
    )
    xml = xml.replace(
        "<SpStatus>1</SpStatus>\n <TemplateId>", "<SpStatus>\n  2  \n</SpStatus>\n <TemplateId>"
    )
    xml = xml.replace("<SpName><![CDATA[示例模板]]></SpName>", "<SpName>示例模板</SpName>")

    snapshot = parse(xml)

    assert (snapshot.applicant, snapshot.status, snapshot.template_name) == (
        "WuJunJie",
        ApprovalStatus.APPROVED,
        "示例模板",
    )


def test_optional_elements_may_be_missing() -> None:
    xml = edited("sys_approval_change.xml", "<Party><![CDATA[1]]></Party>", "")
    xml = xml.replace("<SpName><![CDATA[示例模板]]></SpName>", "")
    xml = xml.replace(" <Speech><![CDATA[]]></Speech>\n <SpYj>1</SpYj>\n <Sptime>0</Sptime>\n", "")

    snapshot = parse(xml)

    assert (snapshot.applicant_party, snapshot.template_name) == ("", "")
    assert snapshot.nodes[0].members == (Member("userid1"), Member("userid2"))


# -- open_approval_change ----------------------------------------------------------------------------------


OPEN_SAMPLE = Snapshot(
    provider="wecom_open",
    number="thirdNoxxx",
    template_id="1234567111",
    template_name="付款",
    status=ApprovalStatus.PENDING,
    applicant="WuJunJie",
    apply_time=1527837645,
    applicant_party="产品部",
    nodes=(
        Node(
            type=NodeType.APPROVER,
            mode=ApprovalMode.ANY,  # NodeAttr 1 = 或签
            status=MemberStatus.PENDING,
            members=(Member("XiaoWen"),),
        ),
    ),
    cc=("GuoJinHui",),
    event_time=1527838022,
    current_step=0,
)


def test_open_spec_sample_maps_every_field() -> None:
    snapshot = parse(fixture("open_approval_change.xml"))

    assert snapshot == OPEN_SAMPLE
    assert snapshot.action is None and snapshot.has_details is False
    assert snapshot.key == "wecom_open:thirdNoxxx"
    assert snapshot.waiting_on() == ("XiaoWen",)


@pytest.mark.parametrize("node_type", ["2", "3"])
def test_open_node_type_is_a_member_source_not_a_cc_node(node_type: str) -> None:
    xml = edited("open_approval_change.xml", "<NodeType>1</NodeType>", f"<NodeType>{node_type}</NodeType>")

    assert parse(xml).nodes[0].type is NodeType.APPROVER


def test_open_approver_step_points_at_the_current_node() -> None:
    second = (
        "<ApprovalNode><NodeStatus>1</NodeStatus><NodeAttr>2</NodeAttr><Items>"
        "<Item><ItemUserid>Bob</ItemUserid><ItemStatus>1</ItemStatus><ItemOpTime>0</ItemOpTime></Item>"
        "<Item><ItemUserid>Carol</ItemUserid><ItemStatus>2</ItemStatus><ItemSpeech> ok </ItemSpeech>"
        "<ItemOpTime>1527838000</ItemOpTime></Item>"
        "</Items></ApprovalNode> \n </ApprovalNodes>"
    )
    xml = edited("open_approval_change.xml", "</ApprovalNodes>", second)
    xml = xml.replace("<ApproverStep >0</ApproverStep >", "<ApproverStep>1</ApproverStep>")

    snapshot = parse(xml)

    assert snapshot.current_step == 1
    assert snapshot.nodes[1] == Node(
        NodeType.APPROVER,
        ApprovalMode.ALL,  # NodeAttr 2 = 会签
        MemberStatus.PENDING,
        (Member("Bob"), Member("Carol", MemberStatus.APPROVED, "ok", 1527838000)),
    )
    assert snapshot.waiting_on() == ("Bob",)


def test_open_without_approver_step_has_no_current_step() -> None:
    xml = edited("open_approval_change.xml", "<ApproverStep >0</ApproverStep >", "")

    assert parse(xml).current_step is None


@pytest.mark.parametrize("status", ["6", "7", "10", "5"])
def test_open_status_beyond_the_engines_four_is_an_error(status: str) -> None:
    xml = edited(
        "open_approval_change.xml", "<OpenSpStatus>1</OpenSpStatus>", f"<OpenSpStatus>{status}</OpenSpStatus>"
    )

    with pytest.raises(CallbackParseError, match="OpenSpStatus"):
        parse(xml)


# -- what is not ours --------------------------------------------------------------------------------------


def test_unknown_event_is_ignored() -> None:
    assert parse(fixture("unknown_event.xml")) is None


@pytest.mark.parametrize(
    "xml",
    [
        "<xml><MsgType><![CDATA[text]]></MsgType><Event>sys_approval_change</Event></xml>",
        "<xml><MsgType>event</MsgType><Event>open_approval_change_v2</Event></xml>",
        "<xml><MsgType>event</MsgType></xml>",
        "<xml><Content>hello</Content></xml>",
    ],
)
def test_other_messages_are_ignored(xml: str) -> None:
    assert parse(xml) is None


# -- hostile or broken input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "xml",
    [
        b"",
        b"not xml at all",
        b"<xml><MsgType>event</MsgType>",
        b"<xml></wrong>",
        b"<xml>\xff\xfe</xml>",
    ],
)
def test_malformed_xml(xml: bytes) -> None:
    with pytest.raises(CallbackParseError):
        parse_event(xml)


def test_truncated_callback() -> None:
    with pytest.raises(CallbackParseError):
        parse_event(fixture("sys_approval_change.xml").encode()[:500])


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE xml [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><MsgType>event</MsgType><Event>sys_approval_change</Event><CreateTime>1</CreateTime>
<ApprovalInfo><SpNoStr>&lol9;</SpNoStr></ApprovalInfo></xml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><MsgType>event</MsgType><Event>sys_approval_change</Event><SpName>&secret;</SpName></xml>"""

QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "'
    + b"A" * 10_000
    + b'">]><xml>'
    + b"&a;" * 10_000
    + b"</xml>"
)


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY, QUADRATIC_BLOWUP])
def test_entities_are_refused_never_expanded(xml: bytes) -> None:
    with pytest.raises(CallbackParseError):
        parse_event(xml)


def test_a_plain_sample_with_an_inline_entity_declaration_is_refused_too() -> None:
    xml = fixture("sys_approval_change.xml").replace("<xml>", '<!DOCTYPE xml [<!ENTITY n "x">]>\n<xml>', 1)

    with pytest.raises(CallbackParseError):
        parse(xml)


@pytest.mark.parametrize(
    "doctype", ['<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd">', "<!DOCTYPE xml>", "<!DOCTYPE xml []>"]
)
def test_any_dtd_is_refused_even_one_that_declares_nothing(doctype: str) -> None:
    """WeCom never sends a DTD; an external subset declares entities where defusedxml cannot see them."""
    xml = fixture("sys_approval_change.xml").replace("<xml>", f"{doctype}\n<xml>", 1)

    with pytest.raises(CallbackParseError):
        parse(xml)


@pytest.mark.parametrize("garbage", ["abc", "1.5", "-1", "+1", "1_0", "１", "0x10", "1 2", "١"])
@pytest.mark.parametrize(
    ("fixture_name", "old", "template"),
    [
        ("sys_approval_change.xml", "<CreateTime>1571732272</CreateTime>", "<CreateTime>{}</CreateTime>"),
        ("sys_approval_change.xml", "<ApplyTime>1571728713</ApplyTime>", "<ApplyTime>{}</ApplyTime>"),
        (
            "sys_approval_change.xml",
            "<SpStatus>1</SpStatus>\n <TemplateId>",
            "<SpStatus>{}</SpStatus>\n <TemplateId>",
        ),
        ("sys_approval_change.xml", "<SpYj>1</SpYj>", "<SpYj>{}</SpYj>"),
        ("sys_approval_change.xml", "<Sptime>0</Sptime>", "<Sptime>{}</Sptime>"),
        ("sys_approval_change.xml", "<ApvRel>2</ApvRel>", "<ApvRel>{}</ApvRel>"),
        ("sys_approval_change.xml", "<NodeType>1</NodeType>", "<NodeType>{}</NodeType>"),
        ("sys_approval_change.xml", "<CommentTime>1571732272</CommentTime>", "<CommentTime>{}</CommentTime>"),
        (
            "sys_approval_change.xml",
            "<StatuChangeEvent>10</StatuChangeEvent>",
            "<StatuChangeEvent>{}</StatuChangeEvent>",
        ),
        (
            "sys_approval_change_sprecord_only.xml",
            "<ApproverAttr>2</ApproverAttr>",
            "<ApproverAttr>{}</ApproverAttr>",
        ),
        ("sys_approval_change_sprecord_only.xml", "<SpTime>1571735000</SpTime>", "<SpTime>{}</SpTime>"),
        ("open_approval_change.xml", "<OpenSpStatus>1</OpenSpStatus>", "<OpenSpStatus>{}</OpenSpStatus>"),
        ("open_approval_change.xml", "<ItemOpTime>0</ItemOpTime>", "<ItemOpTime>{}</ItemOpTime>"),
        ("open_approval_change.xml", "<ApproverStep >0</ApproverStep >", "<ApproverStep>{}</ApproverStep>"),
    ],
)
def test_integers_are_parsed_strictly(fixture_name: str, old: str, template: str, garbage: str) -> None:
    xml = edited(fixture_name, old, template.format(garbage))

    with pytest.raises(CallbackParseError, match="not an integer"):
        parse(xml)


@pytest.mark.parametrize(
    ("fixture_name", "old", "new", "message"),
    [
        (
            "sys_approval_change.xml",
            "<SpStatus>1</SpStatus>\n <TemplateId>",
            "<SpStatus>5</SpStatus>\n <TemplateId>",
            "SpStatus",
        ),
        ("sys_approval_change.xml", "<SpYj>1</SpYj>", "<SpYj>9</SpYj>", "SpYj"),
        ("sys_approval_change.xml", "<ApvRel>2</ApvRel>", "<ApvRel>4</ApvRel>", "ApvRel"),
        ("sys_approval_change.xml", "<NodeType>1</NodeType>", "<NodeType>4</NodeType>", "NodeType"),
        (
            "sys_approval_change_statuses.xml",
            "<SpStatus>13</SpStatus>",
            "<SpStatus>16</SpStatus>",
            "SpStatus",
        ),
        (
            "sys_approval_change_sprecord_only.xml",
            "<ApproverAttr>2</ApproverAttr>",
            "<ApproverAttr>3</ApproverAttr>",
            "ApproverAttr",
        ),
        (
            "sys_approval_change_sprecord_only.xml",
            "<SpStatus>2</SpStatus>",
            "<SpStatus>5</SpStatus>",
            "SpStatus",
        ),
        (
            "open_approval_change.xml",
            "<ItemStatus>1</ItemStatus>",
            "<ItemStatus>0</ItemStatus>",
            "ItemStatus",
        ),
        ("open_approval_change.xml", "<NodeAttr>1</NodeAttr>", "<NodeAttr>3</NodeAttr>", "NodeAttr"),
        (
            "open_approval_change.xml",
            "<NodeStatus>1</NodeStatus>",
            "<NodeStatus>6</NodeStatus>",
            "NodeStatus",
        ),
    ],
)
def test_unknown_codes_are_errors(fixture_name: str, old: str, new: str, message: str) -> None:
    with pytest.raises(CallbackParseError, match=f"{message}: unknown code"):
        parse(edited(fixture_name, old, new))


@pytest.mark.parametrize(
    ("fixture_name", "old", "message"),
    [
        ("sys_approval_change.xml", "<CreateTime>1571732272</CreateTime>", "CreateTime"),
        ("sys_approval_change.xml", "<ApplyTime>1571728713</ApplyTime>", "ApplyTime"),
        ("sys_approval_change.xml", "<UserId><![CDATA[WuJunJie]]></UserId>", "Applyer/UserId"),
        (
            "sys_approval_change.xml",
            "<TemplateId><![CDATA[3TkaH5KFbrG9heEQWLJjhgpFwmqAFB4dLEnapaB7aaa]]></TemplateId>",
            "TemplateId",
        ),
        ("sys_approval_change.xml", "<UserId><![CDATA[userid1]]></UserId>", "UserInfo/UserId"),
        ("sys_approval_change.xml", "<NodeType>1</NodeType>", "NodeType"),
        ("sys_approval_change.xml", "<CommentId><![CDATA[6750538708562308220]]></CommentId>", "CommentId"),
        ("sys_approval_change.xml", "<UserId><![CDATA[LiuZhi]]></UserId>", "CommentUserInfo/UserId"),
        (
            "sys_approval_change_sprecord_only.xml",
            "<UserId><![CDATA[XiaoHongLiu]]></UserId>",
            "Approver/UserId or Approvor/UserId",
        ),
        ("open_approval_change.xml", "<ThirdNo>thirdNoxxx</ThirdNo>", "ThirdNo"),
        ("open_approval_change.xml", "<ApplyUserId>WuJunJie</ApplyUserId>", "ApplyUserId"),
        ("open_approval_change.xml", "<OpenTemplateId>1234567111</OpenTemplateId>", "OpenTemplateId"),
        ("open_approval_change.xml", "<ItemUserid>XiaoWen</ItemUserid>", "ItemUserid or ItemUserId"),
    ],
)
def test_missing_required_fields_are_errors(fixture_name: str, old: str, message: str) -> None:
    with pytest.raises(CallbackParseError, match=f"{message} missing"):
        parse(edited(fixture_name, old, ""))


def test_approval_event_without_approval_info_is_an_error() -> None:
    xml = "<xml><MsgType>event</MsgType><Event>sys_approval_change</Event><CreateTime>1</CreateTime></xml>"

    with pytest.raises(CallbackParseError, match="ApprovalInfo"):
        parse(xml)


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_escape_as_another_error(data: bytes) -> None:
    try:
        result = parse_event(data)
    except CallbackParseError:
        return
    assert result is None or isinstance(result, Snapshot)


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20))
def test_any_status_text_is_a_status_or_a_parse_error(text: str) -> None:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    xml = edited(
        "sys_approval_change.xml",
        "<SpStatus>1</SpStatus>\n <TemplateId>",
        f"<SpStatus>{escaped}</SpStatus>\n <TemplateId>",
    )
    try:
        snapshot = parse(xml)
    except CallbackParseError:
        return
    assert snapshot.status == int(text.strip())


# -- what applying needs: refused here, before the callback is answered ------------------------------------

TIME_FIELDS = [
    ("sys_approval_change.xml", "<CreateTime>1571732272</CreateTime>", "<CreateTime>{}</CreateTime>"),
    ("sys_approval_change.xml", "<ApplyTime>1571728713</ApplyTime>", "<ApplyTime>{}</ApplyTime>"),
    ("sys_approval_change.xml", "<Sptime>0</Sptime>", "<Sptime>{}</Sptime>"),
    ("sys_approval_change.xml", "<CommentTime>1571732272</CommentTime>", "<CommentTime>{}</CommentTime>"),
    ("sys_approval_change_sprecord_only.xml", "<SpTime>1571735000</SpTime>", "<SpTime>{}</SpTime>"),
    ("open_approval_change.xml", "<ApplyTime>1527837645</ApplyTime>", "<ApplyTime>{}</ApplyTime>"),
    ("open_approval_change.xml", "<ItemOpTime>0</ItemOpTime>", "<ItemOpTime>{}</ItemOpTime>"),
    ("open_approval_change.xml", "<CreateTime>1527838022</CreateTime>", "<CreateTime>{}</CreateTime>"),
]


@pytest.mark.parametrize("value", ["1" + "0" * 17, "253402300800", "99999999999999999999"])
@pytest.mark.parametrize(("fixture_name", "old", "template"), TIME_FIELDS)
def test_times_after_year_9999_are_errors(fixture_name: str, old: str, template: str, value: str) -> None:
    with pytest.raises(CallbackParseError, match="time out of range"):
        parse(edited(fixture_name, old, template.format(value)))


@pytest.mark.parametrize(("fixture_name", "old", "template"), TIME_FIELDS)
def test_the_last_second_of_year_9999_is_a_time(fixture_name: str, old: str, template: str) -> None:
    assert parse(edited(fixture_name, old, template.format("253402300799"))) is not None


@pytest.mark.parametrize("value", ["9" * 5000, "1" * 21])
@pytest.mark.parametrize(
    ("old", "template"),
    [
        ("<ApplyTime>1571728713</ApplyTime>", "<ApplyTime>{}</ApplyTime>"),
        ("<SpStatus>1</SpStatus>\n <TemplateId>", "<SpStatus>{}</SpStatus>\n <TemplateId>"),
        ("<StatuChangeEvent>10</StatuChangeEvent>", "<StatuChangeEvent>{}</StatuChangeEvent>"),
    ],
)
def test_more_than_20_digits_are_refused_before_int(old: str, template: str, value: str) -> None:
    with pytest.raises(CallbackParseError, match="at most 20 digits"):
        parse(edited("sys_approval_change.xml", old, template.format(value)))


ID_FIELDS = [
    ("sys_approval_change.xml", "<![CDATA[202506110001]]>", "<![CDATA[{}]]>"),
    (
        "sys_approval_change.xml",
        "<TemplateId><![CDATA[3TkaH5KFbrG9heEQWLJjhgpFwmqAFB4dLEnapaB7aaa]]>",
        "<TemplateId><![CDATA[{}]]>",
    ),
    ("sys_approval_change.xml", "<![CDATA[WuJunJie]]>", "<![CDATA[{}]]>"),
    ("sys_approval_change.xml", "<![CDATA[userid1]]>", "<![CDATA[{}]]>"),
    ("sys_approval_change.xml", "<![CDATA[ChengLiang]]>", "<![CDATA[{}]]>"),
    ("sys_approval_change.xml", "<![CDATA[LiuZhi]]>", "<![CDATA[{}]]>"),
    ("sys_approval_change.xml", "<![CDATA[6750538708562308220]]>", "<![CDATA[{}]]>"),
    ("sys_approval_change_comments.xml", "<MediaIds><![CDATA[media-a]]>", "<MediaIds><![CDATA[{}]]>"),
    ("open_approval_change.xml", "<ThirdNo>thirdNoxxx</ThirdNo>", "<ThirdNo>{}</ThirdNo>"),
    ("open_approval_change.xml", "<ApplyUserId>WuJunJie</ApplyUserId>", "<ApplyUserId>{}</ApplyUserId>"),
    ("open_approval_change.xml", "<ItemUserid>XiaoWen</ItemUserid>", "<ItemUserid>{}</ItemUserid>"),
    ("open_approval_change.xml", "<ItemUserid>GuoJinHui</ItemUserid>", "<ItemUserid>{}</ItemUserid>"),
]


@pytest.mark.parametrize(
    ("value", "message"),
    [("u" * 257, "longer than 256"), ("a\tb", "control"), ("a\u0085b", "control"), ("\u202eevil", "control")],
)
@pytest.mark.parametrize(("fixture_name", "old", "template"), ID_FIELDS)
def test_ids_are_short_and_printable(
    fixture_name: str, old: str, template: str, value: str, message: str
) -> None:
    with pytest.raises(CallbackParseError, match=message):
        parse(edited(fixture_name, old, template.format(value)))


@pytest.mark.parametrize(("fixture_name", "old", "template"), ID_FIELDS)
def test_an_id_of_256_characters_with_spaces_is_an_id(fixture_name: str, old: str, template: str) -> None:
    assert parse(edited(fixture_name, old, template.format("u " * 128))) is not None


@pytest.mark.parametrize(
    ("fixture_name", "element"),
    [
        ("sys_approval_change.xml", "SubNodeList"),
        ("sys_approval_change.xml", "NodeList"),
        ("sys_approval_change.xml", "Comments"),
        ("sys_approval_change.xml", "Notifyer"),
        ("sys_approval_change_sprecord_only.xml", "Details"),
        ("sys_approval_change_comments.xml", "MediaIds"),
        ("open_approval_change.xml", "Item"),
        ("open_approval_change.xml", "NotifyNode"),
    ],
)
def test_repeated_elements_are_bounded(fixture_name: str, element: str) -> None:
    xml = fixture(fixture_name)
    found = re.search(rf"<{element}>.*?</{element}>", xml, flags=re.DOTALL)
    assert found is not None

    def repeated(times: int) -> str:
        return xml[: found.start()] + found.group() * times + xml[found.end() :]

    others = xml.count(f"<{element}>") - 1  # anywhere: at most this many are beside the repeated one
    assert parse(repeated(codes.MAX_ITEMS - others)) is not None
    with pytest.raises(CallbackParseError, match=f"more than {codes.MAX_ITEMS}"):
        parse(repeated(codes.MAX_ITEMS + 1))


@pytest.mark.parametrize(
    "xml",
    [
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<xml><MsgType>event</MsgType></xml>'.encode("latin-1"),
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<xml><SpName>Café</SpName></xml>'.encode("latin-1"),
        '<?xml version="1.0" encoding="UTF-16"?>\n<xml><MsgType>event</MsgType></xml>'.encode("utf-16"),
        "<xml><MsgType>event</MsgType></xml>".encode("utf-16"),
        "<?xml version='1.0' encoding='gbk'?><xml><MsgType>event</MsgType></xml>".encode("gbk"),
    ],
)
def test_only_utf8_is_read(xml: bytes) -> None:
    """The journal keeps the callback as UTF-8 text: another encoding would be read differently later."""
    with pytest.raises(CallbackParseError, match="UTF-8"):
        parse_event(xml)


@pytest.mark.parametrize(
    "declaration",
    [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?>',
    ],
)
def test_utf8_declared_or_with_a_bom_is_read(declaration: str) -> None:
    xml = "\ufeff" + declaration + "\n" + fixture("sys_approval_change.xml")
    assert parse_event(xml.encode("utf-8")) == SAMPLE


def test_the_open_engine_json_spellings_are_read_too() -> None:
    """The engine's JSON spells ItemUserId and OpenSpstatus; a callback in those spellings means the same."""
    xml = fixture("open_approval_change.xml").replace("ItemUserid", "ItemUserId")
    xml = xml.replace("OpenSpStatus", "OpenSpstatus")

    assert parse(xml) == OPEN_SAMPLE
