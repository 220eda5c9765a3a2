"""Every user-facing string the bot renders, in each language it speaks.

Cards are pure functions of (snapshot, language), so all wording lives here:
one catalog keeps the two languages side by side and the keys stable, and a
missing key fails loudly instead of showing a raw key to a user. Besides the
cards and commands, it holds the form modal and its reader (``form.*``), the
App Home tab (``home.*``) and the WeCom launch page (``launch.*``, shown in
both languages at once).
"""

from __future__ import annotations

from enum import IntEnum

from bot.model import Action, ApprovalMode, ApprovalStatus, MemberStatus, NodeType

LANGUAGES = ("zh_CN", "en")
FALLBACK = "en"

CATALOG: dict[str, dict[str, str]] = {
    # ApprovalStatus
    "status.pending": {"zh_CN": "审批中", "en": "Pending"},
    "status.approved": {"zh_CN": "已通过", "en": "Approved"},
    "status.rejected": {"zh_CN": "已驳回", "en": "Rejected"},
    "status.revoked": {"zh_CN": "已撤销", "en": "Revoked"},
    "status.revoked_after_approval": {"zh_CN": "通过后撤销", "en": "Revoked after approval"},
    "status.deleted": {"zh_CN": "已删除", "en": "Deleted"},
    "status.paid": {"zh_CN": "已支付", "en": "Paid"},
    # Action
    "action.submit": {"zh_CN": "提单", "en": "submitted"},
    "action.approve": {"zh_CN": "同意", "en": "approved"},
    "action.reject": {"zh_CN": "驳回", "en": "rejected"},
    "action.transfer": {"zh_CN": "转审", "en": "transferred"},
    "action.urge": {"zh_CN": "催办", "en": "urged"},
    "action.revoke": {"zh_CN": "撤销", "en": "revoked"},
    "action.revoke_after_approval": {"zh_CN": "通过后撤销", "en": "revoked after approval"},
    "action.comment": {"zh_CN": "添加备注", "en": "commented"},
    "action.return": {"zh_CN": "回退给指定审批人", "en": "returned to an earlier approver"},
    "action.add_approver": {"zh_CN": "添加审批人", "en": "added an approver"},
    "action.add_and_approve": {"zh_CN": "加签并同意", "en": "added an approver and approved"},
    "action.unknown": {"zh_CN": "更新", "en": "updated"},
    # MemberStatus, phrased as what the member did ("<who> approved")
    "member.pending": {"zh_CN": "审批中", "en": "pending"},
    "member.approved": {"zh_CN": "已同意", "en": "approved"},
    "member.rejected": {"zh_CN": "已驳回", "en": "rejected"},
    "member.transferred": {"zh_CN": "已转审", "en": "transferred"},
    "member.returned": {"zh_CN": "已退回给指定审批人", "en": "returned it to an earlier approver"},
    "member.added": {"zh_CN": "已加签", "en": "added an approver"},
    "member.approved_and_added": {"zh_CN": "已同意并加签", "en": "approved and added an approver"},
    "member.handled": {"zh_CN": "已办理", "en": "handled"},
    "member.handed_over": {"zh_CN": "已转交", "en": "handed over"},
    # ApprovalMode
    "mode.all": {"zh_CN": "会签", "en": "all must approve"},
    "mode.any": {"zh_CN": "或签", "en": "any one approves"},
    "mode.sequential": {"zh_CN": "依次审批", "en": "one after another"},
    # NodeType
    "node.approver": {"zh_CN": "审批人", "en": "approvers"},
    "node.cc": {"zh_CN": "抄送人", "en": "CC"},
    "node.handler": {"zh_CN": "办理人", "en": "handlers"},
    # Provider names, for notices to admins
    "provider.wecom": {"zh_CN": "企业微信", "en": "WeCom"},
    "provider.wecom_open": {"zh_CN": "企业微信", "en": "WeCom"},
    "provider.fxiaoke": {"zh_CN": "纷享销客", "en": "FXiaoKe"},
    "provider.local": {"zh_CN": "内置审批", "en": "built-in approvals"},
    # Shared card pieces
    "card.number": {"zh_CN": "审批编号", "en": "Number"},
    "card.status": {"zh_CN": "状态", "en": "Status"},
    "card.applicant": {"zh_CN": "申请人", "en": "Applicant"},
    "card.submitted_at": {"zh_CN": "提交时间", "en": "Submitted"},
    "card.more_fields": {"zh_CN": "……另有 {count} 项未显示", "en": "…and {count} more not shown"},
    "card.details_pending": {"zh_CN": "⏳ 表单详情加载中", "en": "⏳ Form details are on their way"},
    "card.more_people": {"zh_CN": "{names} 等 {count} 人", "en": "{names} and {count} more"},
    "card.list_separator": {"zh_CN": "、", "en": ", "},
    "card.step": {
        "zh_CN": "*当前节点* 第 {step}/{steps} 步 · {node} · {mode}",
        "en": "*Current step* {step} of {steps} · {node} · {mode}",
    },
    "card.progress.all": {
        "zh_CN": "{total} 人中 {approved} 人已同意",
        "en": "{approved} of {total} approved",
    },
    "card.progress.any": {"zh_CN": "任一人同意即可：{names}", "en": "waiting for any one of {names}"},
    "card.progress.sequential": {
        "zh_CN": "第 {position}/{total} 人：{name}",
        "en": "step {position} of {total}: {name}",
    },
    "card.waiting_on": {"zh_CN": "*等待* {names}", "en": "*Waiting on* {names}"},
    "card.timeline": {"zh_CN": "*审批记录*", "en": "*Timeline*"},
    "card.timeline_omitted": {
        "zh_CN": "较早的 {count} 条记录未显示",
        "en": "{count} earlier entries not shown",
    },
    "card.untitled": {"zh_CN": "审批", "en": "Approval"},
    "card.acted": {"zh_CN": "{who} {verb}", "en": "{who} {verb}"},
    "card.submitted": {"zh_CN": "{who} 提交了申请", "en": "{who} submitted the request"},
    "card.commented": {"zh_CN": "{who} 添加了备注", "en": "{who} commented"},
    "card.attachments": {"zh_CN": "（附件 {count} 个）", "en": " (attachments: {count})"},
    "card.outcome": {"zh_CN": "*结果* {emoji} {status}", "en": "*Outcome* {emoji} {status}"},
    "card.open": {"zh_CN": "打开审批", "en": "Open approval"},
    "card.act_elsewhere": {
        "zh_CN": "请在{provider}中处理此审批。",
        "en": "Please open it in {provider} to act on it.",
    },
    # Applicant card
    "applicant.text": {
        "zh_CN": "{template} {number}：{status}",
        "en": "{template} {number}: {status}",
    },
    # Approver card
    "approver.needed": {
        "zh_CN": "🔔 *需要你审批*：{applicant} 提交的{template} {number}",
        "en": "🔔 *Your approval is needed*: {template} {number} from {applicant}",
    },
    "approver.needed_text": {
        "zh_CN": "需要你审批：{applicant} 提交的{template} {number}",
        "en": "Your approval is needed: {template} {number} from {applicant}",
    },
    "approver.you_did": {"zh_CN": "你{verb}", "en": "You {verb}"},
    "approver.settled_text": {
        "zh_CN": "{template} {number}：{outcome}",
        "en": "{template} {number}: {outcome}",
    },
    "approver.decided_by": {
        "zh_CN": "{who} 已处理，无需你再审批",
        "en": "{who} already decided, so it no longer waits on you",
    },
    "approver.moved_on": {
        "zh_CN": "审批已进入下一步，无需你再审批",
        "en": "It moved to the next step and no longer waits on you",
    },
    "approver.final": {
        "zh_CN": "审批已结束（{status}），无需你再审批",
        "en": "The approval is final ({status}) and no longer waits on you",
    },
    # CC card
    "cc.submitted": {
        "zh_CN": "📨 抄送：{applicant} 提交了{template} {number}",
        "en": "📨 FYI: {applicant} submitted {template} {number}",
    },
    "cc.final": {
        "zh_CN": "📨 抄送：{applicant} 的{template} {number} {status}",
        "en": "📨 FYI: {template} {number} from {applicant} is {status}",
    },
    # Comment and urge messages
    "comment.text": {
        "zh_CN": "💬 {who} 在{template} {number} 中添加了备注：",
        "en": "💬 {who} commented on {template} {number}:",
    },
    "comment.fallback": {"zh_CN": "{line}{content}{attachments}", "en": "{line} {content}{attachments}"},
    "urge.text": {
        "zh_CN": "⏰ {applicant} 正在等待你审批{template} {number}",
        "en": "⏰ {applicant} is waiting for your approval of {template} {number}",
    },
    # Admin notices
    "audit.line": {
        "zh_CN": "`{number}` {template} · {action} · {emoji} {status} · {who}",
        "en": "`{number}` {template} · {action} · {emoji} {status} · {who}",
    },
    "unmapped.notice": {
        "zh_CN": "找不到{provider}用户 {users} 对应的 Slack 用户（审批 {number}）：请将其加入 [users]",
        "en": "Could not find Slack users for {provider} users {users} (approval {number}): "
        "add them to [users]",
    },
    # What is wrong with a template body (TemplateManager.problems), shown beside the control it names
    "template.problem.body_invalid": {
        "zh_CN": "模板内容须为 JSON 对象",
        "en": "The template must be a JSON object",
    },
    "template.problem.template_id_missing": {
        "zh_CN": "请说明要更新哪个模板（template_id）",
        "en": "Say which template to update (template_id)",
    },
    "template.problem.name_duplicate": {
        "zh_CN": "已有名为「{name}」的模板",
        "en": "A template named “{name}” already exists",
    },
    "template.problem.text_list": {
        "zh_CN": "{field} 须为 [{{text, lang}}] 列表",
        "en": "{field} must be a list of {{text, lang}} entries",
    },
    "template.problem.text_missing": {"zh_CN": "{field} 不能为空", "en": "{field} needs a text"},
    "template.problem.text_too_long": {
        "zh_CN": "{field} 有 {length} 个字符，最多 {limit} 个",
        "en": "{field} is {length} characters long; at most {limit}",
    },
    "template.problem.lang_missing": {
        "zh_CN": "{field}：有文字的地方须写明 lang（zh_CN 或 en）",
        "en": "{field}: every text needs its lang (zh_CN or en)",
    },
    "template.problem.lang_invalid": {
        "zh_CN": "{field}：lang「{lang}」无效，应为 zh_CN（不是 zh-CN）或 en",
        "en": "{field}: lang “{lang}” is not zh_CN (not zh-CN) or en",
    },
    "template.problem.lang_repeated": {
        "zh_CN": "{field}：{lang} 的文字出现了不止一次",
        "en": "{field}: more than one text in {lang}",
    },
    "template.problem.controls_invalid": {
        "zh_CN": "template_content.controls 须为控件列表",
        "en": "template_content.controls must be a list of controls",
    },
    "template.problem.control_invalid": {
        "zh_CN": "控件须为带 property 的对象",
        "en": "A control must be an object with a property",
    },
    "template.problem.kind_unknown": {
        "zh_CN": "「{kind}」不是企业微信接受的控件类型：{kinds}",
        "en": "“{kind}” is not a control kind WeCom accepts: {kinds}",
    },
    "template.problem.table_child_kind": {
        "zh_CN": "{kind} 控件不能放在明细（Table）里",
        "en": "A {kind} control cannot be a column of a Table",
    },
    "template.problem.id_missing": {
        "zh_CN": "控件需要 id，例如 {example}",
        "en": "The control needs an id such as {example}",
    },
    "template.problem.id_format": {
        "zh_CN": "id「{id}」须为 {kind}- 加数字，例如 {example}",
        "en": "Id “{id}” must be {kind}- followed by digits, e.g. {example}",
    },
    "template.problem.id_duplicate": {
        "zh_CN": "id「{id}」被多个控件使用",
        "en": "Id “{id}” is used by more than one control",
    },
    "template.problem.title_duplicate": {
        "zh_CN": "另一个控件也叫「{title}」",
        "en": "Another control is also titled “{title}”",
    },
    "template.problem.flag_invalid": {
        "zh_CN": "{field} 须为 0 或 1，而不是 {value}",
        "en": "{field} must be 0 or 1, not {value}",
    },
    "template.problem.attendance_twice": {
        "zh_CN": "一个模板只能有一个假勤控件（Vacation 或 Attendance），{first} 已是其一",
        "en": "A template may hold one leave/attendance control (Vacation or Attendance); {first} is one",
    },
    "template.problem.config_invalid": {
        "zh_CN": "config 须为 JSON 对象",
        "en": "config must be a JSON object",
    },
    "template.problem.config_missing": {
        "zh_CN": "{kind} 控件需要配置 {field}",
        "en": "A {kind} control needs config {field}",
    },
    "template.problem.config_value": {
        "zh_CN": "配置 {field} 须为 {allowed} 之一，而不是 {value}",
        "en": "Config {field} must be one of {allowed}, not {value}",
    },
    "template.problem.config_unexpected": {
        "zh_CN": "{kind} 控件不接受配置 {field}",
        "en": "A {kind} control takes no config {field}",
    },
    "template.problem.options_missing": {
        "zh_CN": "单选/多选控件至少需要一个选项（selector.options）",
        "en": "A Selector needs at least one option (selector.options)",
    },
    "template.problem.option_key_missing": {
        "zh_CN": "第 {position} 个选项需要 key",
        "en": "Option {position} needs a key",
    },
    "template.problem.option_key_duplicate": {
        "zh_CN": "选项 key「{key}」出现了两次",
        "en": "Option key “{key}” appears twice",
    },
    "template.problem.tips_empty": {
        "zh_CN": "说明文字控件需要内容（tips.tips_content）",
        "en": "A Tips control needs its text (tips.tips_content)",
    },
    "template.problem.tips_text": {
        "zh_CN": "{field} 须为文字（type 1）或带标题和网址的链接（type 2）",
        "en": "{field} must hold text (type 1) or links with a title and a URL (type 2)",
    },
    "template.problem.table_empty": {
        "zh_CN": "明细控件至少需要一列（table.children）",
        "en": "A Table needs at least one column (table.children)",
    },
    "template.problem.vacation_item": {
        "zh_CN": "第 {position} 个假期类型需要数字 id",
        "en": "Leave type {position} needs a numeric id",
    },
    # WeCom's refusals of a template, in plain words
    "template.refused.invalid_control": {
        "zh_CN": "企业微信拒绝了模板的控件参数（错误码 {code}）",
        "en": "WeCom refused a control of the template (error {code})",
    },
    "template.refused.limit_reached": {
        "zh_CN": "企业的审批模板数已达上限，请先在管理后台停用不用的模板（错误码 {code}）",
        "en": "The company has as many approval templates as WeCom allows; retire unused ones first "
        "(error {code})",
    },
    "template.refused.no_permission": {
        "zh_CN": "本应用无审批权限：请在管理后台「审批 → 可调用接口的应用」中加入本应用（错误码 {code}）",
        "en": "The app may not manage approvals: add it under Approval → apps that may call the API "
        "in the WeCom admin console (error {code})",
    },
    "template.refused.server_error": {
        "zh_CN": "企业微信内部出错，请稍后再试（错误码 {code}）",
        "en": "WeCom had an internal error; try again later (error {code})",
    },
    "template.refused.unknown": {
        "zh_CN": "企业微信出现未知错误，请稍后确认模板是否已保存（错误码 {code}）",
        "en": "WeCom failed with an unknown error; check later whether the template was saved (error {code})",
    },
    # Creating and updating templates from Slack (handlers.template_admin): the builder and confirmations
    "template.builder.title": {"zh_CN": "审批模板", "en": "Approval template"},
    "template.builder.title_create": {"zh_CN": "创建审批模板", "en": "Create a template"},
    "template.builder.title_update": {"zh_CN": "更新审批模板", "en": "Update a template"},
    "template.builder.title_control": {"zh_CN": "添加控件", "en": "Add a control"},
    "template.builder.working": {"zh_CN": "⏳ 正在处理…", "en": "⏳ Working on it…"},
    "template.builder.next": {"zh_CN": "检查并继续", "en": "Check and continue"},
    "template.builder.cancel": {"zh_CN": "取消", "en": "Cancel"},
    "template.builder.add": {"zh_CN": "添加", "en": "Add"},
    "template.builder.create": {"zh_CN": "创建", "en": "Create"},
    "template.builder.confirm": {"zh_CN": "确认更新", "en": "Confirm"},
    "template.builder.name_label": {"zh_CN": "模板名称", "en": "Template name"},
    "template.builder.name_hint": {
        "zh_CN": "最多 40 个字，不能与已有模板重名；填写后会替换粘贴或上传内容中的名称。",
        "en": "At most 40 characters, not the name of another template; replaces the name of a pasted or "
        "uploaded body.",
    },
    "template.builder.json_label": {
        "zh_CN": "粘贴 JSON 请求包（可选）",
        "en": "Paste a JSON body (optional)",
    },
    "template.builder.json_hint": {
        "zh_CN": "即 create_template / update_template 的请求包；粘贴或上传的内容会替换下面逐个添加的控件。",
        "en": "The body of create_template / update_template; a pasted or uploaded body replaces the "
        "controls added below.",
    },
    "template.builder.file_label": {
        "zh_CN": "或上传 .json 文件（可选）",
        "en": "Or upload a .json file (optional)",
    },
    "template.builder.controls": {"zh_CN": "*控件（{count} 个）*", "en": "*Controls ({count})*"},
    "template.builder.control_line": {
        "zh_CN": "`{id}` · {kind} · {title}",
        "en": "`{id}` · {kind} · {title}",
    },
    "template.builder.more": {"zh_CN": "…还有 {count} 项", "en": "…and {count} more"},
    "template.builder.add_control": {"zh_CN": "➕ 添加控件", "en": "➕ Add control"},
    "template.builder.remove": {"zh_CN": "删除", "en": "Remove"},
    "template.builder.kind_label": {"zh_CN": "*控件类型*", "en": "*Kind*"},
    "template.builder.title_label": {"zh_CN": "控件名称", "en": "Title"},
    "template.builder.placeholder_label": {"zh_CN": "控件说明（可选）", "en": "Placeholder (optional)"},
    "template.builder.require_label": {"zh_CN": "必填", "en": "Required"},
    "template.builder.options_label": {"zh_CN": "选项，每行一个", "en": "Options, one per line"},
    "template.builder.multiple_label": {"zh_CN": "选择方式", "en": "How many may be chosen"},
    "template.builder.date_type_label": {"zh_CN": "日期类型", "en": "Date type"},
    "template.builder.contact_mode_label": {"zh_CN": "选择对象", "en": "Who is chosen"},
    "template.builder.columns_label": {
        "zh_CN": "明细的列，每行一个：类型: 名称（如 Text: 费用项目）",
        "en": "Table columns, one per line: kind: title (e.g. Text: Item)",
    },
    "template.builder.tips_label": {"zh_CN": "说明文字", "en": "Text to show"},
    "template.builder.attendance_type_label": {"zh_CN": "假勤类型", "en": "Attendance type"},
    "template.builder.span_unit_label": {"zh_CN": "时长单位", "en": "Counted in"},
    "template.builder.choice_single": {"zh_CN": "单选", "en": "One"},
    "template.builder.choice_multi": {"zh_CN": "多选", "en": "Several"},
    "template.builder.choice_day": {"zh_CN": "日期", "en": "Date"},
    "template.builder.choice_hour": {"zh_CN": "日期+时间", "en": "Date and time"},
    "template.builder.choice_user": {"zh_CN": "成员", "en": "Members"},
    "template.builder.choice_department": {"zh_CN": "部门", "en": "Departments"},
    "template.builder.choice_trip": {"zh_CN": "出差", "en": "Business trip"},
    "template.builder.choice_outing": {"zh_CN": "外出", "en": "Going out"},
    "template.builder.choice_overtime": {"zh_CN": "加班", "en": "Overtime"},
    "template.builder.choice_halfday": {"zh_CN": "半天", "en": "Half days"},
    "template.builder.choice_hours": {"zh_CN": "小时", "en": "Hours"},
    "template.builder.bad_choice": {
        "zh_CN": "请从给出的选项中选择。",
        "en": "Choose one of the offered values.",
    },
    "template.builder.bad_column": {
        "zh_CN": "第 {line} 行：请写成「类型: 名称」，类型为 {kinds} 之一。",
        "en": "Line {line}: write “kind: title”, the kind one of {kinds}.",
    },
    "template.builder.json_error": {
        "zh_CN": "JSON 无法读取：第 {line} 行第 {column} 列，{reason}。",
        "en": "The JSON could not be read: {reason} at line {line}, column {column}.",
    },
    "template.builder.json_not_object": {
        "zh_CN": 'JSON 须为对象，例如 {{"template_name": [...], "template_content": {{...}}}}。',
        "en": 'The JSON must be an object, like {{"template_name": [...], "template_content": {{...}}}}.',
    },
    "template.builder.both_sources": {
        "zh_CN": "请粘贴内容或上传文件，二选一。",
        "en": "Paste a body or upload a file, not both.",
    },
    "template.builder.file_unreadable": {
        "zh_CN": "文件 {name} 无法读取（须为不超过 {limit} KB 的 UTF-8 JSON 文件），未做任何处理。",
        "en": "The file {name} could not be read (a UTF-8 JSON file of at most {limit} KB), so nothing "
        "was done.",
    },
    "template.builder.problems": {
        "zh_CN": "未发送到{provider}：有 {count} 个问题需要先修正。",
        "en": "Nothing was sent to {provider}: fix {count} problem(s) first.",
    },
    "template.builder.fix_first": {
        "zh_CN": "⚠️ 未发送：请先修正以下问题。",
        "en": "⚠️ Nothing was sent: fix these first.",
    },
    "template.builder.create_intro": {
        "zh_CN": "将在{provider}创建模板「{name}」，含 {count} 个控件。点击「创建」后才会发送。",
        "en": "This creates the template “{name}” with {count} control(s) in {provider}. Nothing is sent "
        "until you press Create.",
    },
    "template.builder.alias_label": {"zh_CN": "别名（可选）", "en": "Track it as (alias, optional)"},
    "template.builder.alias_hint": {
        "zh_CN": "填写后立即可用 /approval new <别名> 提交这个模板。",
        "en": "With an alias, /approval new <alias> offers the template at once.",
    },
    "template.builder.bad_alias": {
        "zh_CN": "别名须为一个词（最多 40 个字母、数字、.、- 或 _）。",
        "en": "An alias is one word: at most 40 letters, digits, ., - or _.",
    },
    "template.builder.update_intro": {
        "zh_CN": "更新模板 `{id}`「{name}」，控件变化如下。点击「确认更新」后才会发送。",
        "en": "Updating `{id}` “{name}”; its controls change as below. Nothing is sent until you confirm.",
    },
    "template.builder.diff_added": {"zh_CN": "➕ 新增 `{id}` {title}", "en": "➕ added `{id}` {title}"},
    "template.builder.diff_removed": {"zh_CN": "➖ 删除 `{id}` {title}", "en": "➖ removed `{id}` {title}"},
    "template.builder.diff_changed": {
        "zh_CN": "✏️ 修改 `{id}` {title}：{details}",
        "en": "✏️ changed `{id}` {title}: {details}",
    },
    "template.builder.diff_none": {"zh_CN": "控件没有变化。", "en": "No control changes."},
    "template.builder.diff_name": {"zh_CN": "名称：{old} → {new}", "en": "Name: {old} → {new}"},
    "template.builder.created": {
        "zh_CN": "✅ 已创建模板「{name}」：`{id}`",
        "en": "✅ Template “{name}” created: `{id}`",
    },
    "template.builder.tracked": {
        "zh_CN": "已以别名 `{alias}` 跟踪，/approval new {alias} 现在即可使用。",
        "en": "Tracked as `{alias}`: /approval new {alias} offers it now.",
    },
    "template.builder.track_failed": {
        "zh_CN": "模板已创建，但未能跟踪：{reason}",
        "en": "The template was created, but could not be tracked: {reason}",
    },
    "template.builder.updated": {
        "zh_CN": "✅ 已更新模板 `{id}`「{name}」",
        "en": "✅ Template `{id}` “{name}” updated",
    },
    "template.builder.refused": {
        "zh_CN": "{provider}拒绝了这个模板：{reason}",
        "en": "{provider} refused the template: {reason}",
    },
    "template.builder.no_manager": {
        "zh_CN": "管理模板需要企业微信凭据：请在配置中填写 [wecom] corp_id 和 secret。",
        "en": "Managing templates needs WeCom credentials: set [wecom] corp_id and secret in the config.",
    },
    "template.builder.update_usage": {
        "zh_CN": "要更新哪个模板？/approval-admin template update <template_id> [JSON]",
        "en": "Which template? /approval-admin template update <template_id> [JSON body]",
    },
    "template.builder.stale": {
        "zh_CN": "这个窗口已失效，未做任何处理。请重新运行 /approval-admin template create 或 update。",
        "en": "This window is no longer valid, so nothing was done. Run /approval-admin template create "
        "or update again.",
    },
    # /approval-admin (bot.admin, handlers.admin)
    "admin.refused": {
        "zh_CN": "只有管理员可以使用 `/approval-admin`。如需帮助，请联系管理员。",
        "en": "Only admins can use `/approval-admin`. Please ask one of them if you need something done.",
    },
    "admin.audit_line": {
        "zh_CN": "🛡 <@{actor}> · {action} · {detail}",
        "en": "🛡 <@{actor}> · {action} · {detail}",
    },
    "admin.unknown_sub": {"zh_CN": "不认识的子命令 `{sub}`。", "en": "I don't know `{sub}`."},
    # -- escalation and expiry --
    "status.expired": {"zh_CN": "已过期", "en": "Expired"},
    "duration.days_hours": {"zh_CN": "{days} 天 {hours} 小时", "en": "{days} d {hours} h"},
    "duration.hours": {"zh_CN": "{hours} 小时", "en": "{hours} h"},
    "duration.minutes": {"zh_CN": "{minutes} 分钟", "en": "{minutes} min"},
    "card.waited": {"zh_CN": "⏱️ 此步骤已等待 {duration}", "en": "⏱️ This step has been waiting {duration}"},
    "card.overdue": {
        "zh_CN": "⚠️ *已逾期*：提交已超过 {hours} 小时，仍未审批完成。",
        "en": "⚠️ *Overdue*: filed more than {hours} h ago and still not decided.",
    },
    "card.note.escalated": {"zh_CN": "⏫ 等待过久，已通知 {to}", "en": "⏫ waited too long: {to} was told"},
    "card.note.overdue": {
        "zh_CN": "⚠️ 超过 {hours} 小时未完成，已标记为逾期",
        "en": "⚠️ marked overdue: not decided within {hours} h",
    },
    "card.note.expired": {
        "zh_CN": "⌛ 超时未完成，系统已撤销（原因：已过期）",
        "en": "⌛ expired: revoked by the system (reason: expired)",
    },
    "escalation.text": {
        "zh_CN": "⏫ {applicant} 的{template} {number} 自 {since} 起等待 {waiting} 处理，"
        "已等待 {duration}，现通知你。",
        "en": "⏫ {template} {number} from {applicant} has waited on {waiting} since {since} ({duration}): "
        "you are told because it waited too long.",
    },
    "escalation.settled": {
        "zh_CN": "⏫ {applicant} 的{template} {number} 曾因等待过久通知你；它现在已结束：{status}。",
        "en": "⏫ {template} {number} from {applicant} was escalated to you for waiting too long; "
        "it has ended since: {status}.",
    },
    "escalation.only_they": {
        "zh_CN": "只有 {waiting} 可以处理此步骤；请提醒他们。",
        "en": "Only {waiting} can decide this step: nudge them.",
    },
    "audit.escalated": {
        "zh_CN": "`{number}` {template} · ⏫ 等待过久，已通知 {to} · {applicant}",
        "en": "`{number}` {template} · ⏫ waited too long, escalated to {to} · {applicant}",
    },
    "audit.overdue": {
        "zh_CN": "`{number}` {template} · ⚠️ 超过 {hours} 小时未完成，已标记为逾期 · {applicant}",
        "en": "`{number}` {template} · ⚠️ marked overdue after {hours} h · {applicant}",
    },
    "audit.expired": {
        "zh_CN": "`{number}` {template} · {emoji} 已过期，系统已撤销 · {applicant}",
        "en": "`{number}` {template} · {emoji} expired, revoked by the system · {applicant}",
    },
    "admin.help.policy": {
        "zh_CN": "`policy <别名> [escalate_after_hours=48] [escalate_to=@某人|#频道]"
        " [expire_after_hours=168]`"
        " — 查看或修改模板的升级与过期设置（`=off` 恢复配置文件的值）",
        "en": "`policy <alias> [escalate_after_hours=48] [escalate_to=@someone|#channel]"
        " [expire_after_hours=168]`"
        " — show or change a template's escalation and expiry (`=off` falls back to the config)",
    },
    "admin.policy_header": {
        "zh_CN": "*`{alias}` 的升级与过期*（{provider} · `{template_id}`）",
        "en": "*Escalation and expiry of `{alias}`* ({provider} · `{template_id}`)",
    },
    "admin.policy_row": {
        "zh_CN": "• `{name}` = {value}（{source}）",
        "en": "• `{name}` = {value} ({source})",
    },
    "admin.policy_unset": {"zh_CN": "未设置", "en": "not set"},
    "admin.policy_source.config": {"zh_CN": "配置文件", "en": "config"},
    "admin.policy_source.admin": {"zh_CN": "管理员修改", "en": "set by an admin"},
    "admin.policy_summary": {"zh_CN": "升级与过期：{summary}", "en": "escalation and expiry: {summary}"},
    "admin.policy_escalate": {
        "zh_CN": "等待 {hours} 小时后通知 {to}",
        "en": "after {hours} h tell {to}",
    },
    "admin.policy_expire": {"zh_CN": "{hours} 小时后过期", "en": "expires after {hours} h"},
    "admin.bad_policy": {"zh_CN": "无法设置：{error}", "en": "Not set: {error}"},
    "admin.usage": {"zh_CN": "用法：{usage}", "en": "Usage: {usage}"},
    "admin.failed": {"zh_CN": "执行失败：{error}", "en": "That did not work: {error}"},
    "admin.help_header": {"zh_CN": "*`/approval-admin` 子命令*", "en": "*`/approval-admin` subcommands*"},
    "admin.help.help": {"zh_CN": "`help` — 本列表", "en": "`help` — this list"},
    "admin.help.templates": {
        "zh_CN": "`templates [sync]` — 已跟踪的模板；`sync` 重新读取详情 · 例：`templates sync`",
        "en": "`templates [sync]` — tracked templates; `sync` reads them again · e.g. `templates sync`",
    },
    "admin.help.track": {
        "zh_CN": "`track <模板ID> <别名> [provider]` — 让 `/approval new <别名>` 提供该模板 · "
        "例：`track 3Tka1eD6 leave`",
        "en": "`track <template_id> <alias> [provider]` — offer it as `/approval new <alias>` · "
        "e.g. `track 3Tka1eD6 leave`",
    },
    "admin.help.untrack": {
        "zh_CN": "`untrack <别名>` — 不再提供该模板 · 例：`untrack leave`",
        "en": "`untrack <alias>` — stop offering it · e.g. `untrack leave`",
    },
    "admin.help.template": {
        "zh_CN": "`template create [JSON]` / `template update <模板ID> [JSON]` — 新建或修改企业微信模板"
        "（不带 JSON 则打开表单）· 例：`template create`",
        "en": "`template create [json]` / `template update <template_id> [json]` — create or change a WeCom "
        "template (no JSON opens the builder) · e.g. `template create`",
    },
    "admin.help.map": {
        "zh_CN": "`map <@用户> <审批系统用户ID> [provider]` — 指定对应关系 · 例：`map @lisi lisi`",
        "en": "`map <@user> <provider user id> [provider]` — set who they are there · e.g. `map @lisi lisi`",
    },
    "admin.help.unmap": {
        "zh_CN": "`unmap <@用户> [provider]` — 删除指定的对应关系 · 例：`unmap @lisi`",
        "en": "`unmap <@user> [provider]` — drop that mapping · e.g. `unmap @lisi`",
    },
    "admin.help.whois": {
        "zh_CN": "`whois <@用户>` — 该用户在各审批系统中的身份 · 例：`whois @lisi`",
        "en": "`whois <@user>` — who they are in each approval system · e.g. `whois @lisi`",
    },
    "admin.help.status": {
        "zh_CN": "`status <审批单号> [provider]` — 任一审批的完整进度 · 例：`status 202401010001`",
        "en": "`status <number> [provider]` — any approval's full timeline · e.g. `status 202401010001`",
    },
    "admin.help.remind": {
        "zh_CN": "`remind <审批单号>` — 立即提醒当前审批人 · 例：`remind 202401010001`",
        "en": "`remind <number>` — nudge its current approvers now · e.g. `remind 202401010001`",
    },
    "admin.help.sweep": {
        "zh_CN": "`sweep [provider]` — 立即同步审批状态 · 例：`sweep wecom`",
        "en": "`sweep [provider]` — sweep now and report · e.g. `sweep wecom`",
    },
    "admin.help.outbox": {
        "zh_CN": "`outbox [retry]` — 待发送与被暂停的通知；`retry` 重新发送被暂停的 · 例：`outbox retry`",
        "en": "`outbox [retry]` — notifications waiting or held; `retry` sends the held ones · "
        "e.g. `outbox retry`",
    },
    "admin.help.stats": {
        "zh_CN": "`stats [天数]` — 统计：数量、决定用时、最慢的审批人、待审批 · 例：`stats 30`",
        "en": "`stats [days]` — counts, time to decision, slowest approvers, pending now · e.g. `stats 30`",
    },
    "admin.help.export": {
        "zh_CN": "`export [天数] [csv|json]` — 导出为文件发到你的私信 · 例：`export 90 csv`",
        "en": "`export [days] [csv|json]` — a file sent to your DM · e.g. `export 90 csv`",
    },
    "admin.help.health": {
        "zh_CN": "`health` — 审批系统、令牌、最近同步、发件箱、存储大小、版本",
        "en": "`health` — providers, tokens, last sweeps, outbox, store size, version",
    },
    "admin.bad_alias": {
        "zh_CN": "别名 `{alias}` 不可用：请使用不超过 40 个字符的一个词（字母、数字、_ . -）。",
        "en": "`{alias}` can't be an alias: use one word of at most 40 letters, digits, _ . or -.",
    },
    "admin.bad_template_id": {
        "zh_CN": "`{template_id}` 不是模板 ID。",
        "en": "`{template_id}` is not a template id.",
    },
    "admin.unknown_provider": {
        "zh_CN": "不认识审批系统 `{provider}`；可用：{known}",
        "en": "I don't know the provider `{provider}`; these work: {known}",
    },
    "admin.template_unreadable": {
        "zh_CN": "无法读取模板 `{template_id}`，未跟踪：{error}",
        "en": "Could not read the template `{template_id}`, so it is not tracked: {error}",
    },
    "admin.unknown_alias": {
        "zh_CN": "没有名为 `{alias}` 的模板。",
        "en": "No template is offered as `{alias}`.",
    },
    "admin.bad_provider_user": {"zh_CN": "`{user}` 不是用户 ID。", "en": "`{user}` is not a user id."},
    "admin.bad_slack_user": {
        "zh_CN": "`{user}` 不是 Slack 用户：请用 @ 提及对方。",
        "en": "`{user}` is not a Slack user: mention them with @.",
    },
    "admin.not_mapped": {
        "zh_CN": "<@{user}> 在 {provider} 中没有管理员指定的对应关系。",
        "en": "<@{user}> has no mapping set by an admin in {provider}.",
    },
    "admin.no_identities": {
        "zh_CN": "当前审批系统直接使用 Slack 用户，无需对应关系。",
        "en": "The approval systems in use work with Slack users directly: there is nothing to map.",
    },
    "admin.not_found": {"zh_CN": "找不到审批 `{number}`。", "en": "No approval `{number}` is known."},
    "admin.not_pending": {
        "zh_CN": "审批 `{number}` 当前没有等待审批的人。",
        "en": "Approval `{number}` is not waiting for anyone.",
    },
    "admin.no_sweeper": {
        "zh_CN": "`{provider}` 不能同步；可同步：{known}",
        "en": "`{provider}` cannot be swept; these can: {known}",
    },
    "admin.nothing_to_sweep": {
        "zh_CN": "没有可同步的审批系统（内置审批引擎不需要同步）。",
        "en": "No configured provider can be swept (the embedded engine needs no sweeps).",
    },
    "admin.bad_format": {
        "zh_CN": "格式 `{fmt}` 不支持；可用：{known}",
        "en": "`{fmt}` is not a format; use {known}",
    },
    "admin.untracked_while_filing": {
        "zh_CN": "模板 `{alias}` 已被管理员停用，申请未提交。",
        "en": "An admin stopped offering `{alias}`, so this request was not filed.",
    },
    "admin.templates_header": {"zh_CN": "*模板（{count}）*", "en": "*Templates ({count})*"},
    "admin.templates_empty": {
        "zh_CN": "还没有跟踪任何模板：`/approval-admin track <模板ID> <别名>`",
        "en": "No templates are tracked yet: `/approval-admin track <template_id> <alias>`",
    },
    "admin.template_row": {
        "zh_CN": "`{alias}` · {name} · `{template_id}` · {provider} · {controls} 个控件 · "
        "同步于 {synced} · {source}",
        "en": "`{alias}` · {name} · `{template_id}` · {provider} · {controls} controls · "
        "synced {synced} · {source}",
    },
    "admin.source.config": {"zh_CN": "配置文件", "en": "config"},
    "admin.source.slack": {"zh_CN": "Slack 中跟踪", "en": "tracked from Slack"},
    "admin.source.sweep": {"zh_CN": "仅同步", "en": "swept only"},
    "admin.sync_failed": {
        "zh_CN": "⚠️ `{alias}` 读取失败：{error}",
        "en": "⚠️ `{alias}` could not be read: {error}",
    },
    "admin.tracked": {
        "zh_CN": "✅ `/approval new {alias}` 现在提供 {name}"
        "（`{template_id}`，{provider}，{controls} 个控件）。",
        "en": "✅ `/approval new {alias}` now offers {name} "
        "(`{template_id}`, {provider}, {controls} controls).",
    },
    "admin.untracked": {"zh_CN": "✅ 不再提供 `{alias}`。", "en": "✅ `{alias}` is no longer offered."},
    "admin.mapped": {
        "zh_CN": "✅ 从现在起 <@{user}> 在 {provider} 中是 `{provider_id}`。",
        "en": "✅ <@{user}> is `{provider_id}` in {provider} from now on.",
    },
    "admin.unmapped": {
        "zh_CN": "✅ 已删除 <@{user}> 在 {provider} 中的对应关系（原为 `{provider_id}`）。",
        "en": "✅ <@{user}> is no longer mapped in {provider} (was `{provider_id}`).",
    },
    "admin.whois_header": {"zh_CN": "*<@{user}> 的身份*", "en": "*Who <@{user}> is*"},
    "admin.whois_line": {
        "zh_CN": "{provider}：`{provider_id}`（{source}）",
        "en": "{provider}: `{provider_id}` ({source})",
    },
    "admin.whois_nobody": {"zh_CN": "{provider}：无（{source}）", "en": "{provider}: nobody ({source})"},
    "admin.whois_source.admin": {"zh_CN": "管理员指定", "en": "set by an admin"},
    "admin.whois_source.directory": {"zh_CN": "配置或邮箱匹配", "en": "config or email match"},
    "admin.whois_source.unavailable": {"zh_CN": "暂时无法查询", "en": "cannot be looked up now"},
    "admin.reminded": {
        "zh_CN": "✅ 已提醒审批 `{number}` 的 {count} 位审批人。",
        "en": "✅ Nudged {count} approver(s) of `{number}`.",
    },
    "admin.reminded_nobody": {
        "zh_CN": "审批 `{number}` 的当前审批人都没有对应的 Slack 用户，无法提醒：请用 `map` 指定。",
        "en": "Nobody could be nudged on `{number}`: its approvers have no Slack user the bot knows "
        "(use `map`).",
    },
    "admin.sweep_line": {
        "zh_CN": "{provider}：查看 {looked_at} 条，变化 {changed} 条，读取详情 {reads} 次",
        "en": "{provider}: {looked_at} looked at, {changed} changed, {reads} detail read(s)",
    },
    "admin.sweep_first": {
        "zh_CN": "（首次同步：只记录，不通知）",
        "en": " (first sweep: recorded, nobody told)",
    },
    "admin.sweep_error": {
        "zh_CN": "⚠️ {provider}：同步失败：{error}",
        "en": "⚠️ {provider}: the sweep failed: {error}",
    },
    "admin.outbox_summary": {
        "zh_CN": "*发件箱*：{waiting} 条待发送 · {held} 条被暂停 · 最近 {failed} 条失败",
        "en": "*Outbox*: {waiting} waiting · {held} held · {failed} failed recently",
    },
    "admin.outbox_held": {
        "zh_CN": "⏸ {kind} → {recipient} · {since} · {why}",
        "en": "⏸ {kind} to {recipient} · since {since} · {why}",
    },
    "admin.outbox_fix": {"zh_CN": "解决办法：{fix}", "en": "To fix: {fix}"},
    "admin.outbox_retry_hint": {
        "zh_CN": "修复后用 `/approval-admin outbox retry` 重新发送被暂停的通知。",
        "en": "Once fixed, `/approval-admin outbox retry` sends the held ones again.",
    },
    "admin.outbox_failed": {
        "zh_CN": "✖ {kind} → {recipient} · {at} · {reason}",
        "en": "✖ {kind} to {recipient} · {at} · {reason}",
    },
    "admin.outbox_retried": {
        "zh_CN": "✅ 已重新发送 {count} 条被暂停的通知。",
        "en": "✅ Released {count} held notification(s) to be sent again.",
    },
    "admin.stats_header": {
        "zh_CN": "*最近 {days} 天：{total} 条审批*",
        "en": "*Last {days} days: {total} approval(s)*",
    },
    "admin.stats_template": {"zh_CN": "{template}：{counts}", "en": "{template}: {counts}"},
    "admin.stats_median": {
        "zh_CN": "决定用时中位数：{duration}",
        "en": "Median time to decision: {duration}",
    },
    "admin.stats_no_decisions": {
        "zh_CN": "这段时间没有已决定的审批。",
        "en": "Nothing was decided in that time.",
    },
    "admin.stats_slowest": {
        "zh_CN": "*最慢的审批人（等待中位数）*",
        "en": "*Slowest approvers (median wait)*",
    },
    "admin.stats_slow_line": {
        "zh_CN": "{who}：{duration}（{count} 次决定）",
        "en": "{who}: {duration} over {count} decision(s)",
    },
    "admin.stats_pending": {"zh_CN": "*当前待审批*", "en": "*Pending now*"},
    "admin.stats_pending_line": {
        "zh_CN": "`{number}` {template} · 等待 {who} {duration}",
        "en": "`{number}` {template} · waiting on {who} for {duration}",
    },
    "admin.stats_nothing_pending": {"zh_CN": "没有待审批。", "en": "Nothing is pending."},
    "admin.exported": {
        "zh_CN": "✅ 已将 {rows} 条审批导出为 `{filename}`，发到你的私信。",
        "en": "✅ Sent {rows} approval(s) as `{filename}` to your DM.",
    },
    "admin.export_comment": {
        "zh_CN": "最近 {days} 天的审批（{rows} 条）",
        "en": "Approvals of the last {days} days ({rows})",
    },
    "admin.export_failed": {
        "zh_CN": "导出文件上传失败：{error}",
        "en": "The export could not be uploaded: {error}",
    },
    "admin.health_header": {"zh_CN": "*运行状况* · 版本 {version}", "en": "*Health* · version {version}"},
    "admin.health_ok": {"zh_CN": "✅ 一切正常", "en": "✅ Nothing stops the bot's work"},
    "admin.health_problem": {"zh_CN": "⚠️ {problem}", "en": "⚠️ {problem}"},
    "admin.health_providers": {"zh_CN": "审批系统：{providers}", "en": "Providers: {providers}"},
    "admin.health_token": {"zh_CN": "{provider} 令牌：{state}", "en": "{provider} token: {state}"},
    "admin.health_sweep": {
        "zh_CN": "{provider} 最近同步：{at} · {result}",
        "en": "{provider} last sweep: {at} · {result}",
    },
    "admin.health_never_swept": {"zh_CN": "{provider}：尚未同步", "en": "{provider}: not swept yet"},
    "admin.health_outbox": {
        "zh_CN": "发件箱：{backlog} 条待发送 · {held} 条被暂停 · {failed} 条失败记录",
        "en": "Outbox: {backlog} waiting · {held} held · {failed} failures recorded",
    },
    "admin.health_store": {"zh_CN": "存储：{size}", "en": "Store: {size}"},
    "admin.health_details": {
        "zh_CN": "表单详情：{count} 个审批待读取",
        "en": "Form details: {count} approval(s) waiting to be read",
    },
    # /approval
    "cmd.usage": {
        "zh_CN": "用法：`/approval new [模板]` 发起申请 · `/approval list` 我的申请 · "
        "`/approval status <单号>` 查看进度 · `/approval help`",
        "en": "Usage: `/approval new [template]` to file a request · `/approval list` your requests · "
        "`/approval status <number>` to check one · `/approval help`",
    },
    "cmd.templates": {"zh_CN": "可用模板：{aliases}", "en": "Templates you can file: {aliases}"},
    "cmd.no_templates": {
        "zh_CN": "还没有配置审批模板：请管理员在配置中添加 [wecom.templates] 或 [[local.templates]]。",
        "en": "No templates are configured yet: "
        "ask an admin to add [wecom.templates] or [[local.templates]].",
    },
    "cmd.unknown_alias": {
        "zh_CN": "没有名为 `{alias}` 的模板。",
        "en": "There is no template called `{alias}`.",
    },
    "cmd.unknown_sub": {"zh_CN": "不认识的命令 `{sub}`。", "en": "I don't know `{sub}`."},
    "cmd.list_empty": {
        "zh_CN": "你还没有申请。用 `/approval new` 发起一个。",
        "en": "You have no requests yet. Use `/approval new` to file one.",
    },
    "cmd.list_header": {"zh_CN": "你最近的申请：", "en": "Your recent requests:"},
    "cmd.status_usage": {
        "zh_CN": "用法：`/approval status <单号>`",
        "en": "Usage: `/approval status <number>`",
    },
    "cmd.status_not_found": {
        "zh_CN": "没有找到你参与的单号为 `{number}` 的审批。",
        "en": "No approval numbered `{number}` that you are part of.",
    },
    "cmd.picker_title": {"zh_CN": "发起申请", "en": "New request"},
    "cmd.picker_label": {"zh_CN": "选择模板", "en": "Which form?"},
    "cmd.picker_next": {"zh_CN": "下一步", "en": "Next"},
    "cmd.loading": {"zh_CN": "正在加载表单…", "en": "Loading the form…"},
    "cmd.close": {"zh_CN": "关闭", "en": "Close"},
    "cmd.form_unavailable": {
        "zh_CN": "无法打开这个表单：{reason}",
        "en": "This form cannot be opened: {reason}",
    },
    # filing from Slack
    "submit.unmapped": {
        "zh_CN": "找不到你在审批系统中的账号。请让管理员在配置的 [users] 中添加 "
        '`"{user}" = "<你的企业微信账号>"`，或确认 Slack 与企业微信使用同一个邮箱。',
        "en": "I can't find your account in the approval system. Ask an admin to add "
        '`"{user}" = "<your WeCom userid>"` under [users], or make sure Slack and WeCom have the same email.',
    },
    "submit.person_unmapped": {
        "zh_CN": "所选的人（Slack 用户 {user}）在审批系统中没有对应账号，无法选为成员。",
        "en": "The person you chose (Slack user {user}) has no account in the approval system, so they "
        "can't be chosen.",
    },
    "submit.unavailable": {
        "zh_CN": "审批系统暂时无法访问（{error}）。你的草稿已保存，请稍后再试。",
        "en": "The approval system can't be reached right now ({error}). "
        "Your draft is kept: try again later.",
    },
    "submit.file_unreadable": {
        "zh_CN": "无法从 Slack 读取附件 {name}。",
        "en": "The attachment {name} could not be read from Slack.",
    },
    "submit.refused": {
        "zh_CN": "你的申请没有提交成功：{reason}\n草稿已保存，修改后可以重新提交。",
        "en": "Your request was not filed: {reason}\nYour draft is kept: fix it and submit again.",
    },
    "submit.uncertain": {
        "zh_CN": "审批系统没有及时回应，无法确认申请是否已提交。重新检查前不会重复提交。",
        "en": "The approval system did not answer in time, "
        "so I can't tell yet whether your request was filed. "
        "Nothing will be filed twice: check again and I'll look for it first.",
    },
    "submit.edit": {"zh_CN": "修改并重新提交", "en": "Edit and resubmit"},
    "submit.check": {"zh_CN": "重新检查", "en": "Check again"},
    "submit.refused_notice": {
        "zh_CN": "上次提交被拒绝：{reason}",
        "en": "The last attempt was refused: {reason}",
    },
    "submit.gone": {
        "zh_CN": "这份草稿已不存在或已提交。",
        "en": "This draft no longer exists or was already filed.",
    },
    # The form modal (handlers.modals)
    "form.submit": {"zh_CN": "提交", "en": "Submit"},
    "form.close": {"zh_CN": "取消", "en": "Cancel"},
    "form.row": {"zh_CN": "第 {row} 行", "en": "Row {row}"},
    "form.add_row": {"zh_CN": "添加一行", "en": "Add row"},
    "form.remove_row": {"zh_CN": "删除最后一行", "en": "Remove last row"},
    "form.table_full": {
        "zh_CN": "无法再添加行：Slack 对话框最多容纳 {limit} 个区块。",
        "en": "No room for another row: a Slack dialog holds at most {limit} blocks.",
    },
    "form.type": {"zh_CN": "类型", "en": "Type"},
    "form.begin": {"zh_CN": "开始时间", "en": "Start"},
    "form.end": {"zh_CN": "结束时间", "en": "End"},
    "form.begin_day": {"zh_CN": "开始日期", "en": "Start date"},
    "form.end_day": {"zh_CN": "结束日期", "en": "End date"},
    "form.begin_half": {"zh_CN": "开始：上午/下午", "en": "Start: morning or afternoon"},
    "form.end_half": {"zh_CN": "结束：上午/下午", "en": "End: morning or afternoon"},
    "form.am": {"zh_CN": "上午", "en": "Morning"},
    "form.pm": {"zh_CN": "下午", "en": "Afternoon"},
    "form.files_not_kept": {
        "zh_CN": "之前的附件无法沿用，请重新上传。",
        "en": "Files from the last attempt can't be carried over: attach them again.",
    },
    "form.cannot_fill": {
        "zh_CN": "*{control}* 无法在 Slack 中填写。{reason}",
        "en": "*{control}* can't be filled in from Slack. {reason}",
    },
    "form.reason.unsupported": {
        "zh_CN": "Slack 没有适用于此类控件（{kind}）的输入方式。",
        "en": "Slack has no input for this kind of control ({kind}).",
    },
    "form.reason.no_options": {"zh_CN": "它没有可选的选项。", "en": "It has no options to choose from."},
    "form.reason.too_many_options": {
        "zh_CN": "它有 {count} 个选项，而 Slack 最多只能列出 100 个。",
        "en": "It has {count} options, and Slack lists at most 100.",
    },
    "form.reason.bad_options": {
        "zh_CN": "它的选项无法在 Slack 中列出。",
        "en": "Its options can't be listed in Slack.",
    },
    "form.reason.no_departments": {
        "zh_CN": "此模板的部门无法在 Slack 中选择。",
        "en": "Departments can't be chosen from Slack for this template.",
    },
    "form.reason.no_columns": {
        "zh_CN": "它没有可以在 Slack 中填写的列。",
        "en": "None of its columns can be filled in from Slack.",
    },
    "form.not_fillable": {
        "zh_CN": "「{control}」是必填项，但无法在 Slack 中填写。{reason}"
        "请改在{provider}中提交「{template}」。",
        "en": "“{control}” is required, but it can't be filled in from Slack. {reason} "
        "Please submit {template} in {provider} instead.",
    },
    "form.too_large": {
        "zh_CN": "「{template}」需要 {count} 个区块，而 Slack 对话框最多容纳 {limit} 个。"
        "请改在{provider}中提交。",
        "en": "{template} needs {count} blocks, but a Slack dialog holds at most {limit}. "
        "Please submit it in {provider} instead.",
    },
    # What is wrong with a submitted form (bot.form_reader); the modal shows row_required as a hint too
    "form.required": {"zh_CN": "此项为必填项。", "en": "This is required."},
    "form.row_required": {
        "zh_CN": "填写这一行时，此项为必填项。",
        "en": "Required when this row is filled in.",
    },
    "form.table_required": {"zh_CN": "请至少填写一行。", "en": "Fill in at least one row."},
    "form.not_number": {"zh_CN": "请输入数字，例如 12 或 3.5。", "en": "Enter a number, like 12 or 3.5."},
    "form.money_decimals": {
        "zh_CN": "金额最多保留两位小数，例如 12.50。",
        "en": "Enter an amount with at most 2 decimals, like 12.50.",
    },
    "form.newline": {
        "zh_CN": "此项只能填写一行，请删除换行。",
        "en": "This takes a single line: remove the line breaks.",
    },
    "form.phone": {
        "zh_CN": "请输入电话号码：5 到 20 位数字，可含空格和 -；国家代码后请加空格，例如 +86 13800000000。",
        "en": "Enter a phone number of 5 to 20 digits (spaces and - allowed), "
        "with a space after any country code, like +86 13800000000.",
    },
    "form.bad_date": {"zh_CN": "请从日历中选择日期。", "en": "Pick a date from the calendar."},
    "form.end_before_begin": {
        "zh_CN": "结束时间必须晚于开始时间。",
        "en": "The end must come after the start.",
    },
    "form.unknown_option": {
        "zh_CN": "此选项已不可用，请重新选择。",
        "en": "This option is no longer offered: choose again.",
    },
    "form.too_many_files": {
        "zh_CN": "一个审批最多只能有 {limit} 个附件，算上这里的共有 {count} 个。",
        "en": "An approval takes at most {limit} files in all; counting these, it has {count}.",
    },
    # The App Home tab (handlers.home)
    "home.title": {"zh_CN": "审批", "en": "Approvals"},
    "home.new_request": {"zh_CN": "发起审批", "en": "New request"},
    "home.pick_template": {"zh_CN": "从模板发起…", "en": "New request from template…"},
    "home.waiting": {"zh_CN": "待我审批（{count}）", "en": "Waiting for me ({count})"},
    "home.mine": {"zh_CN": "我的申请", "en": "My requests"},
    "home.waiting_empty": {"zh_CN": "没有需要你审批的申请。", "en": "Nothing is waiting for you."},
    "home.mine_empty": {
        "zh_CN": "你还没有提交过申请——使用 `/approval new` 发起",
        "en": "You have no requests yet — use `/approval new`",
    },
    "home.more": {
        "zh_CN": "……另有 {count} 条——使用 `/approval list` 查看",
        "en": "…and {count} more — use `/approval list`",
    },
    "home.waiting_for": {"zh_CN": "等待 {names}", "en": "waiting for {names}"},
    "home.open": {"zh_CN": "打开", "en": "Open"},
    # The WeCom launch page (bot.providers.wecom.launch_page), which shows both languages at once
    "launch.connecting": {"zh_CN": "正在连接企业微信…", "en": "Connecting to WeCom…"},
    "launch.opening": {"zh_CN": "正在打开审批…", "en": "Opening the approval…"},
    "launch.done": {
        "zh_CN": "审批页面已打开，可以关闭此页。",
        "en": "The approval page was opened; you can close this page.",
    },
    "launch.outside": {"zh_CN": "请在企业微信中打开此链接。", "en": "Open this link in WeCom (企业微信)."},
    "launch.failed": {"zh_CN": "企业微信未能打开审批：", "en": "WeCom could not open the approval:"},
    "launch.noscript": {"zh_CN": "此页面需要 JavaScript。", "en": "This page needs JavaScript."},
    "launch.number": {"zh_CN": "审批编号", "en": "Number"},
    "launch.launch": {"zh_CN": "发起审批", "en": "Launch the approval"},
    "launch.view": {"zh_CN": "查看审批", "en": "View the approval"},
    "launch.forbidden": {
        "zh_CN": "此链接无效或不完整，请从 Slack 重新打开。",
        "en": "This link is not valid or not complete: open it again from Slack.",
    },
    "launch.not_found": {"zh_CN": "找不到这个审批申请。", "en": "This approval request does not exist."},
    "launch.unavailable": {
        "zh_CN": "暂时无法准备此页面，请稍后再试。",
        "en": "This page cannot be prepared right now; try again later.",
    },
    "launch.method": {"zh_CN": "只支持 GET 请求。", "en": "Only GET requests are supported."},
    # The approval engine's errors, as the launch page explains them
    "launch.error.duplicate": {
        "zh_CN": "此申请已发起过（审批编号重复）。",
        "en": "This request was already launched (duplicate number).",
    },
    "launch.error.not_found": {"zh_CN": "审批申请不存在。", "en": "Approval not found."},
    "launch.error.template_id": {
        "zh_CN": "审批模板 ID 不正确：请管理员检查 [wecom.open_templates]。",
        "en": "The template id is wrong: ask your admin to check [wecom.open_templates].",
    },
    "launch.error.agent_id": {
        "zh_CN": "应用 ID 不正确：请管理员检查 wecom.agent_id。",
        "en": "The app id is wrong: ask your admin to check wecom.agent_id.",
    },
    # deciding embedded-engine approvals in Slack
    "decide.approve": {"zh_CN": "同意", "en": "Approve"},
    "decide.reject": {"zh_CN": "驳回", "en": "Reject"},
    "decide.more": {"zh_CN": "更多", "en": "More"},
    "decide.transfer": {"zh_CN": "转审", "en": "Transfer"},
    "decide.add_approver": {"zh_CN": "加签", "en": "Add approver"},
    "decide.return": {"zh_CN": "退回", "en": "Return"},
    "decide.comment": {"zh_CN": "评论", "en": "Comment"},
    "decide.urge": {"zh_CN": "催办", "en": "Urge"},
    "decide.revoke": {"zh_CN": "撤销", "en": "Revoke"},
    "decide.by_link": {
        "zh_CN": "不在 Slack？<{url}|用链接同意>",
        "en": "Away from Slack? <{url}|Approve with a link>",
    },
    "decide.submit": {"zh_CN": "确定", "en": "Confirm"},
    "decide.cancel": {"zh_CN": "取消", "en": "Cancel"},
    "decide.reason": {"zh_CN": "理由", "en": "Reason"},
    "decide.speech": {"zh_CN": "意见（可选）", "en": "Note (optional)"},
    "decide.comment_text": {"zh_CN": "评论内容", "en": "Your comment"},
    "decide.to": {"zh_CN": "转给", "en": "Hand over to"},
    "decide.add_who": {"zh_CN": "加签人", "en": "Who else should approve"},
    "decide.and_approve": {"zh_CN": "同时同意", "en": "and approve it myself"},
    "decide.revoke_reason": {
        "zh_CN": "撤销理由（已通过的申请必须填写）",
        "en": "Why (required once it was approved)",
    },
    "decide.done": {"zh_CN": "已提交。", "en": "Done."},
    "decide.not_allowed.not_your_turn": {
        "zh_CN": "现在还没轮到你审批这个申请。",
        "en": "It is not your turn to decide on this request.",
    },
    "decide.not_allowed.already_decided": {
        "zh_CN": "这个申请已由 {who} 于 {when} 处理。",
        "en": "Already decided by {who} at {when}.",
    },
    "decide.not_allowed.already_decided_plain": {
        "zh_CN": "你已经处理过这个申请，或它已不再等你。",
        "en": "You already acted on this request, or it no longer waits for you.",
    },
    "decide.not_allowed.final": {
        "zh_CN": "这个申请已经结束（{status}），不能再操作。",
        "en": "This request is finished ({status}): nothing more can be done.",
    },
    "decide.not_allowed.own_request": {
        "zh_CN": "你不能审批自己提交的申请。",
        "en": "You cannot approve your own request.",
    },
    "decide.not_allowed.not_applicant": {
        "zh_CN": "只有申请人可以这样做。",
        "en": "Only the person who filed the request can do that.",
    },
    "decide.not_allowed.reason_required": {"zh_CN": "请填写理由。", "en": "Please give a reason."},
    "decide.not_allowed.urge_too_soon": {
        "zh_CN": "刚刚催办过，请稍后再试。",
        "en": "You urged this request a moment ago: try again later.",
    },
    "decide.not_allowed.unknown_user": {
        "zh_CN": "请选择一位 Slack 成员。",
        "en": "Please choose a person in Slack.",
    },
    "decide.not_allowed.nothing_to_return": {
        "zh_CN": "没有可以退回的上一步。",
        "en": "There is no earlier step to return it to.",
    },
    "decide.not_allowed.not_on_it": {
        "zh_CN": "你不在这个申请的流程里。",
        "en": "You are not on this request.",
    },
    "decide.unknown": {"zh_CN": "找不到这个申请。", "en": "This request could not be found."},
    # requests no listener can take (stale or crafted), and listener failures (handlers.events)
    "listener.title": {"zh_CN": "审批", "en": "Approvals"},
    "listener.stale_button": {
        "zh_CN": "这个按钮已失效，没有做任何更改。请使用最新的消息。",
        "en": "This button is no longer valid, so nothing was changed. Use the latest message instead.",
    },
    "listener.stale_form": {
        "zh_CN": "这个表单已失效，没有做任何更改。请重新打开。",
        "en": "This form is no longer valid, so nothing was changed. Please open it again.",
    },
    "listener.unknown_command": {
        "zh_CN": "我不处理这个命令。可以试试 `/approval help`。",
        "en": "I don't handle this command. Try `/approval help`.",
    },
    "listener.failed": {
        "zh_CN": "出错了，这次操作没有完成，没有做任何更改。请稍后再试。",
        "en": "Something went wrong, so this was not done and nothing was changed. Please try again later.",
    },
    # approve-link pages (shown outside Slack, in both languages at once)
    "links.title": {"zh_CN": "审批", "en": "Approval"},
    "links.confirm_approve": {"zh_CN": "确认同意这个申请？", "en": "Approve this request?"},
    "links.button_approve": {"zh_CN": "同意", "en": "Approve"},
    "links.speech": {"zh_CN": "意见（可选）", "en": "Note (optional)"},
    "links.applicant": {"zh_CN": "申请人", "en": "Applicant"},
    "links.number": {"zh_CN": "单号", "en": "Number"},
    "links.done": {"zh_CN": "已同意。可以关闭这个页面。", "en": "Approved. You can close this page."},
    "links.forged": {"zh_CN": "这个链接无效。", "en": "This link is not valid."},
    "links.expired": {
        "zh_CN": "这个链接已过期，请在 Slack 中处理。",
        "en": "This link has expired: decide in Slack instead.",
    },
    "links.used": {"zh_CN": "这个链接已经用过了。", "en": "This link was already used."},
    "links.gone": {"zh_CN": "找不到这个申请。", "en": "This request could not be found."},
    "links.cross_site": {
        "zh_CN": "这个确认来自其他网站，未做任何处理。请直接打开审批链接再确认。",
        "en": "This confirmation came from another site, so nothing was done. Open the link to decide.",
    },
    "links.too_large": {
        "zh_CN": "意见太长，未做任何处理。请缩短后再试。",
        "en": "The note is too long, so nothing was done. Shorten it and try again.",
    },
    "links.bad_request": {
        "zh_CN": "请求无法读取，未做任何处理。",
        "en": "The request could not be read, so nothing was done.",
    },
    "decide.not_allowed.same_person": {
        "zh_CN": "不能转给自己。",
        "en": "You can't hand it over to yourself.",
    },
    "remind.text": {
        "zh_CN": "⏰ 提醒：{applicant} 的{template} {number} 已等待你审批 {hours} 小时",
        "en": "⏰ Reminder: {template} {number} from {applicant} has waited {hours} h for your decision",
    },
    "digest.title": {
        "zh_CN": "☀️ 今天有 {count} 个申请等待你审批",
        "en": "☀️ {count} request(s) wait for your decision",
    },
    "digest.line": {
        "zh_CN": "• {template} {number} · {applicant} · 已等待 {hours} 小时",
        "en": "• {template} {number} from {applicant} · waiting {hours} h",
    },
    # the approve page (one language at a time, chosen by the reader)
    "page.other_language": {"zh_CN": "English", "en": "中文"},
    "page.standing": {"zh_CN": "审批进度", "en": "Where it stands"},
    "page.step": {
        "zh_CN": "第 {step}/{steps} 步 · {node} · {mode}",
        "en": "Step {step} of {steps} · {node} · {mode}",
    },
    "page.now": {"zh_CN": "进行中", "en": "now"},
    "page.not_yet": {"zh_CN": "未开始", "en": "not yet"},
    "page.waiting_on": {"zh_CN": "等待：{names}", "en": "Waiting on {names}"},
    "page.comments": {"zh_CN": "评论", "en": "Comments"},
    "page.money": {"zh_CN": "{amount} 元", "en": "CNY {amount}"},
    "page.your_decision": {"zh_CN": "你的审批", "en": "Your decision"},
    "page.speech": {
        "zh_CN": "意见（同意时可不填，驳回时必须填写理由）",
        "en": "Note (optional to approve; a reason is required to reject)",
    },
    "page.reason_required": {
        "zh_CN": "驳回需要填写理由。尚未做任何处理，请填写后再驳回。",
        "en": "A reason is required to reject. Nothing was done yet: write one, then reject.",
    },
    "page.result.approve": {"zh_CN": "你已同意这个申请。", "en": "You approved this request."},
    "page.result.reject": {"zh_CN": "你已驳回这个申请。", "en": "You rejected this request."},
    "page.next": {
        "zh_CN": "可以关闭这个页面了。申请人和下一位审批人会在 Slack 中收到通知。",
        "en": "You can close this page. The applicant and whoever is next are told in Slack.",
    },
    "page.finished": {
        "zh_CN": "这个申请已经结束（{status}），无需再处理。",
        "en": "This request is finished ({status}): there is nothing more to do.",
    },
    "page.not_waiting": {
        "zh_CN": "这个申请现在不等你处理。",
        "en": "This request is not waiting for you now.",
    },
    "page.you_acted": {"zh_CN": "你的处理：{verb}", "en": "Your decision: {verb}"},
    "page.bad_link_next": {
        "zh_CN": "请使用 Slack 中这个申请的卡片：它的按钮和最新的链接。",
        "en": "Use the request's card in Slack: its buttons, or its latest link.",
    },
    "page.used_next": {
        "zh_CN": "下面是这个申请现在的状态。如需再处理，请使用 Slack 中的卡片。",
        "en": "Below is where the request stands now. To do more, use its card in Slack.",
    },
    # -- channels --
    "channel.text": {
        "zh_CN": "{applicant} 的{template} {number}：{status}",
        "en": "{template} {number} from {applicant}: {status}",
    },
    "channel.who_decides": {
        "zh_CN": "只有当前审批人的操作有效；申请人可以在“更多”中撤销。",
        "en": "Only the current approvers' decisions count; the applicant can revoke under More.",
    },
    "channel.turn": {
        "zh_CN": "{applicant} 的{template} {number} 等待你审批：请在 {channel} 中它的卡片上处理。",
        "en": "{template} {number} from {applicant} waits for your decision: act on its card in {channel}.",
    },
    "channel.outcome": {
        "zh_CN": "你的{template} {number}：{status}。详见 {channel} 中它的卡片。",
        "en": "Your {template} {number}: {status}. Its card in {channel} tells the whole story.",
    },
    "channel.audit": {
        "zh_CN": "📣 `{number}` {template} 的申请卡片已发到 {channel}",
        "en": "📣 `{number}` {template}: its request card was posted in {channel}",
    },
    # -- threads --
    "thread.reply": {"zh_CN": "*{who}*：{content}{attachments}", "en": "*{who}*: {content}{attachments}"},
    "thread.reply_text": {"zh_CN": "{who}：{content}{attachments}", "en": "{who}: {content}{attachments}"},
    "thread.not_on_it": {
        "zh_CN": "只有这个申请的申请人、审批人和抄送人可以评论它，你的回复没有加到申请中。",
        "en": "Only the applicant, the approvers and those copied can comment on this request: "
        "your reply was not added to it.",
    },
    "thread.finished": {
        "zh_CN": "这个申请已经结束（{status}），不能再评论：你的回复没有加到申请中。",
        "en": "This request is finished ({status}) and takes no more comments: "
        "your reply was not added to it.",
    },
    "thread.stays_in_slack": {
        "zh_CN": "你的回复只留在 Slack 中：无法从 Slack 向{provider}写入评论。"
        "要评论这个申请，请在{provider}中打开它。",
        "en": "Your reply stays here in Slack: comments cannot be written to {provider} from Slack. "
        "To comment on the request itself, open it in {provider}.",
    },
    # -- bulk approval and auto_approve rules --
    "card.ruled": {"zh_CN": "规则“{rule}”自动同意", "en": "approved by rule “{rule}”"},
    "audit.ruled": {
        "zh_CN": "`{number}` {template} · 规则“{rule}”自动同意 · {emoji} {status} · {applicant}",
        "en": "`{number}` {template} · approved by rule “{rule}” · {emoji} {status} · {applicant}",
    },
    "decide.not_allowed.ruled": {
        "zh_CN": "这一步已由规则自动同意，无需你处理。",
        "en": "A rule approved this step: there is nothing for you to do.",
    },
    "admin.rule": {
        "zh_CN": "    ↳ 规则“{name}”：{when}时自动同意{steps}",
        "en": "    ↳ rule “{name}”: approves {steps} when {when}",
    },
    "admin.rule.first_step": {"zh_CN": "第一个审批步骤", "en": "the first approver step"},
    "admin.rule.steps": {"zh_CN": "第 {steps} 步", "en": "step {steps}"},
    "admin.rule.and": {"zh_CN": "且", "en": " and "},
    "admin.rule.applicant_in": {"zh_CN": "申请人属于 {who}", "en": "the applicant is {who}"},
    "admin.rule.condition": {"zh_CN": "{control} {op} {value}", "en": "{control} {op} {value}"},
    "admin.rule.op.in": {"zh_CN": "属于", "en": "is one of"},
    "home.bulk_hint": {
        "zh_CN": "勾选要一起同意的申请（每组最多 10 项），然后点击“批量同意”。",
        "en": "Tick the requests to approve together (up to 10 a group), then press “Approve selected”.",
    },
    "home.bulk_approve": {"zh_CN": "批量同意", "en": "Approve selected"},
    "bulk.title": {"zh_CN": "批量同意", "en": "Approve selected"},
    "bulk.intro": {
        "zh_CN": "将逐一同意以下 {count} 个申请，每个都如同单独同意一样记录和通知：",
        "en": "These {count} requests will be approved one by one, each recorded and told as if alone:",
    },
    "bulk.comment": {"zh_CN": "意见（可选，附在每个同意上）", "en": "Comment (optional, added to each)"},
    "bulk.submit": {"zh_CN": "同意", "en": "Approve"},
    "bulk.cancel": {"zh_CN": "取消", "en": "Cancel"},
    "bulk.close": {"zh_CN": "关闭", "en": "Close"},
    "bulk.none": {
        "zh_CN": "请先勾选至少一个申请，再点击“批量同意”。",
        "en": "Tick at least one request first, then press “Approve selected”.",
    },
    "bulk.result": {
        "zh_CN": "*批量同意：{count} 个中已同意 {approved} 个*",
        "en": "*Approved together: {approved} of {count}*",
    },
    "bulk.result.approved": {"zh_CN": "✅ `{number}` {template}", "en": "✅ `{number}` {template}"},
    "bulk.result.skipped": {
        "zh_CN": "⚠️ `{number}` {template}：未同意，{reason}",
        "en": "⚠️ `{number}` {template}: not approved, {reason}",
    },
    "bulk.result.unknown": {"zh_CN": "这个申请已不存在", "en": "this request no longer exists"},
    "audit.bulk": {
        "zh_CN": "{who} 批量同意：{count} 个中已同意 {approved} 个，{skipped} 个已不等其处理",
        "en": "{who} approved together: {approved} of {count}; {skipped} no longer theirs to decide",
    },
    # -- away and delegation --
    "away.usage": {
        "zh_CN": "用法：`/approval away <截止> <@代理人> [原因]`。"
        "<截止> 是日期（YYYY-MM-DD，按你的时区到当天结束）"
        "或时长（如 3d、12h、2w）；`/approval back` 提前结束。",
        "en": "Usage: `/approval away <until> <@delegate> [reason]`. <until> is a date"
        " (YYYY-MM-DD: through the end of that day in your time zone) or a span like 3d, 12h, 2w;"
        " `/approval back` ends it early.",
    },
    "decide.not_allowed.handed_to_delegate": {
        "zh_CN": "你外出期间，这一步已转给你的代理人 {who}。",
        "en": "While you're away, this step went to your delegate {who}.",
    },
    "away.usage_line": {
        "zh_CN": "外出：`/approval away <截止> <@代理人> [原因]` · `/approval back`",
        "en": "Away: `/approval away <until> <@delegate> [reason]` · `/approval back`",
    },
    "admin.help.away": {
        "zh_CN": "`away <@成员> <截止> <@代理人> [原因]` — 替成员设置外出（如已离职）"
        "· 例：`away @lisi 2026-12-31 @wangwu`",
        "en": "`away <@user> <until> <@delegate> [reason]` — set someone away (e.g. who left)"
        " · e.g. `away @lisi 2026-12-31 @wangwu`",
    },
    "admin.help.back": {
        "zh_CN": "`back <@成员>` — 结束成员的外出 · 例：`back @lisi`",
        "en": "`back <@user>` — end their absence · e.g. `back @lisi`",
    },
    "away.admin_usage": {
        "zh_CN": "用法：`/approval-admin away @成员 <截止> @代理人 [原因]` · `/approval-admin back @成员`",
        "en": "Usage: `/approval-admin away @user <until> @delegate [reason]` · `/approval-admin back @user`",
    },
    "away.bad_until": {
        "zh_CN": "无法把 `{text}` 读作日期：请用 YYYY-MM-DD（按你的时区到当天结束），"
        "或 3d、12h、2w 这样的时长。",
        "en": "I can't read `{text}` as a date: use YYYY-MM-DD"
        " (through the end of that day, in your time zone) or a span like 3d, 12h, 2w.",
    },
    "away.past": {
        "zh_CN": "这个时间已经过去了：请选今天或之后的日期。",
        "en": "That is already past: pick today or later.",
    },
    "away.too_far": {"zh_CN": "外出最长 {days} 天。", "en": "An absence can last at most {days} days."},
    "away.self_delegate": {"zh_CN": "代理人必须是另一个人。", "en": "The delegate must be someone else."},
    "away.delegate_bot": {
        "zh_CN": "<@{delegate}> 是机器人：代理人必须是人。",
        "en": "<@{delegate}> is a bot: a delegate must be a person.",
    },
    "away.delegate_unknown": {
        "zh_CN": "这个工作区里没有用户 `{delegate}`（或已停用）。",
        "en": "There is no active user `{delegate}` in this workspace.",
    },
    "away.delegate_away": {
        "zh_CN": "<@{delegate}> 自己也在外出，至 {until}：请选一位在岗的人（代理不能层层转交）。",
        "en": "<@{delegate}> is away too, until {until}: pick someone who is here (delegations don't chain).",
    },
    "away.is_delegate": {
        "zh_CN": "<@{who}> 正在外出，代理人是你：请他先换一位代理人（代理不能层层转交）。",
        "en": "<@{who}> is away and named you their delegate: they need another delegate first"
        " (delegations don't chain).",
    },
    "away.lookup_failed": {
        "zh_CN": "现在无法向 Slack 核实这位用户，请稍后再试。",
        "en": "I can't check that user with Slack right now; please try again in a minute.",
    },
    "away.set_ok": {
        "zh_CN": "🌴 你外出至 {until}，期间由 <@{delegate}> 代你审批。`/approval back` 可提前结束。",
        "en": "🌴 You're away until {until}; <@{delegate}> decides for you meanwhile."
        " `/approval back` ends it early.",
    },
    "away.admin_set_ok": {
        "zh_CN": "🌴 <@{user}> 外出至 {until}，期间由 <@{delegate}> 代为审批。",
        "en": "🌴 <@{user}> is away until {until}; <@{delegate}> decides for them meanwhile.",
    },
    "away.back_ok": {
        "zh_CN": "🏠 欢迎回来：新的审批步骤会再交给你；已转给 <@{delegate}> 的仍由其处理。",
        "en": "🏠 Welcome back: new steps come to you again; what went to <@{delegate}> stays with them.",
    },
    "away.admin_back_ok": {"zh_CN": "🏠 <@{user}> 已回来。", "en": "🏠 <@{user}> is back."},
    "away.not_away": {"zh_CN": "你没有设置外出。", "en": "You weren't away."},
    "away.admin_not_away": {"zh_CN": "<@{user}> 没有设置外出。", "en": "<@{user}> wasn't away."},
    "away.card_line": {
        "zh_CN": "🌴 {who} 外出至 {until}，代理人 {delegate}（只有本人能在{provider}中处理）。",
        "en": "🌴 {who} is away until {until}, delegate {delegate} (only they can act in {provider}).",
    },
    "away.card_kept": {
        "zh_CN": "🌴 {who} 外出至 {until}。代理人是你，而你不能审批自己的申请，所以仍等待 {who}。",
        "en": "🌴 {who} is away until {until}. Their delegate is you, and you may not approve your own"
        " request, so it waits for {who}.",
    },
    "away.fyi": {
        "zh_CN": "🌴 {who} 外出至 {until}，你是代理人："
        "{applicant} 提交的{template} {number} 正在{provider}中等待他处理。"
        "只有本人能在那里审批，请跟进。",
        "en": "🌴 {who} is away until {until} and you are their delegate:"
        " {template} {number} from {applicant} waits on them in {provider}."
        " Only they can decide it there; please follow up.",
    },
    "away.on_behalf": {
        "zh_CN": "_你代 {owner} 审批，其外出至 {until}。_",
        "en": "_You decide this for {owner}, who is away until {until}._",
    },
    "away.member": {
        "zh_CN": "{who}（代 {owner}，外出至 {until}）",
        "en": "{who} (for {owner}, who is away until {until})",
    },
    "away.handed": {
        "zh_CN": "{owner} 外出至 {until}：这一步转给 {who}",
        "en": "{owner} is away until {until}: their share went to {who}",
    },
    "away.audit_set": {
        "zh_CN": "🌴 <@{user}> 外出至 {until}，代理人 <@{delegate}> · 设置者 <@{by}> · {reason}",
        "en": "🌴 <@{user}> away until {until}, delegate <@{delegate}> · set by <@{by}> · {reason}",
    },
    "away.audit_back": {
        "zh_CN": "🏠 <@{user}> 回来了（原外出至 {until}，代理人 <@{delegate}>）· 操作者 <@{by}>",
        "en": "🏠 <@{user}> is back (was away until {until}, delegate <@{delegate}>) · by <@{by}>",
    },
    "away.audit_handover": {
        "zh_CN": "🌴 `{approval}` · <@{user}> 外出至 {until}：这一步转给 <@{delegate}>",
        "en": "🌴 `{approval}` · <@{user}> is away until {until}: their share went to <@{delegate}>",
    },
    "away.audit_fyi": {
        "zh_CN": "🌴 `{approval}` · <@{user}> 外出至 {until}：已告知代理人 <@{delegate}>（只有本人能处理）",
        "en": "🌴 `{approval}` · <@{user}> is away until {until}:"
        " delegate <@{delegate}> told (only they can act)",
    },
    "away.home_away": {
        "zh_CN": "🌴 *你外出至 {until}*（代理人 {delegate}）",
        "en": "🌴 *You're away until {until}* (delegate {delegate})",
    },
    "away.home_here": {
        "zh_CN": "要外出？指定一位代理人，审批就不会等你。",
        "en": "Going away? Name a delegate, so nothing waits for you.",
    },
    "away.home_back_button": {"zh_CN": "我回来了", "en": "I'm back"},
    "away.home_set_button": {"zh_CN": "设置外出…", "en": "Set away…"},
    "away.modal_title": {"zh_CN": "外出与代理", "en": "Away"},
    "away.modal_until": {"zh_CN": "外出至（含当天）", "en": "Away through"},
    "away.modal_delegate": {"zh_CN": "代理人", "en": "Delegate"},
    "away.modal_reason": {"zh_CN": "原因（可选）", "en": "Reason (optional)"},
    "away.modal_submit": {"zh_CN": "保存", "en": "Save"},
    "away.modal_cancel": {"zh_CN": "取消", "en": "Cancel"},
}

_ENUM_PREFIX: dict[type[IntEnum], str] = {
    ApprovalStatus: "status",
    Action: "action",
    MemberStatus: "member",
    ApprovalMode: "mode",
    NodeType: "node",
}


def t(key: str, lang: str, **params: object) -> str:
    """The text for `key` in `lang` (English when the language is unknown), with `params` filled in.

    A missing key raises KeyError: it is a bug in the caller, not something to paper over.
    """
    entry = CATALOG[key]
    return entry.get(lang, entry[FALLBACK]).format(**params)


def enum_name(value: IntEnum, lang: str) -> str:
    """The display name of a domain code (status, action, member status, mode, node type)."""
    return t(f"{_ENUM_PREFIX[type(value)]}.{value.name.lower()}", lang)
