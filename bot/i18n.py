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
    # The WeCom launch page (handlers.launch_page), which shows both languages at once
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
