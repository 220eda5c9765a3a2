"""What the providers' HTTP pages share: the reply a page builds, the length a request declares, and the
look and the headers of a page people open on a phone.

A provider's pages (the WeCom callback and launch page, the local approve page) live in its own package;
what they have in common lives here, so no provider reaches into another's.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from dataclasses import dataclass
from typing import Any

# A plain count of bytes: ASCII digits only ("²".isdigit() is True), and no more of them than a 64-bit
# number has (int() of thousands of digits raises, or takes its time).
_LENGTH = re.compile(r"[0-9]{1,20}")

HTML = "text/html; charset=utf-8"

# One look for every page: readable from 320 px to a desktop, light or dark as the reader's system is,
# in fonts that have Chinese glyphs on every platform (no web font: a page loads nothing).
STYLE = """:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#f3f4f6;--card:#fff;--line:#d8dee4;
--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--accent:#0969da;--okbg:#dafbe1;--badbg:#ffebe9;--warnbg:#fff8c5}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;
--line:#30363d;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--accent:#4493f8;--okbg:#12261e;--badbg:#2d1214;
--warnbg:#272115}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);-webkit-text-size-adjust:100%;
font:16px/1.55 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"PingFang SC","Hiragino Sans GB",
"Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif}
main{max-width:40rem;margin:0 auto;padding:.75rem .75rem 2rem}
a{color:var(--accent)}
.top{display:flex;justify-content:space-between;align-items:center;gap:.5rem;color:var(--muted);
font-size:.875rem;margin:0 .25rem .5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1rem;margin:0 0 .75rem}
h1{font-size:1.3rem;line-height:1.3;margin:0 0 .5rem;overflow-wrap:anywhere}
h2{font-size:.95rem;color:var(--muted);margin:0 0 .6rem;font-weight:600}
p{margin:.4rem 0}
dl{margin:0;display:grid;grid-template-columns:minmax(5rem,max-content) 1fr;gap:.5rem 1rem}
dt{color:var(--muted)}
dd{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
@media (max-width:30rem){dl{grid-template-columns:1fr;gap:0}dt{font-size:.85rem;margin-top:.6rem}
dt:first-child{margin-top:0}}
ul,ol{margin:0;padding-left:1.2rem}
.badge{display:inline-block;padding:.05rem .6rem;border-radius:999px;font-size:.85rem;font-weight:600;
border:1px solid currentColor;white-space:nowrap}
.notice{border-left:4px solid var(--accent)}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}.muted{color:var(--muted)}
.notice.ok{border-left-color:var(--ok);background:var(--okbg);color:var(--fg)}
.notice.bad{border-left-color:var(--bad);background:var(--badbg);color:var(--fg)}
.notice.warn{border-left-color:var(--warn);background:var(--warnbg);color:var(--fg)}
.notice strong{display:block;font-size:1.1rem;margin-bottom:.2rem}
label{display:block;font-weight:600;margin-bottom:.4rem}
textarea{width:100%;min-height:5.5rem;font:inherit;color:inherit;background:var(--bg);padding:.6rem;
border:1px solid var(--line);border-radius:8px;resize:vertical}
.buttons{display:flex;gap:.6rem;margin-top:.75rem}
button{flex:1;min-height:3rem;font:inherit;font-weight:600;border-radius:8px;border:1px solid transparent;
padding:.6rem 1rem;cursor:pointer;color:#fff;background:var(--accent)}
button.approve{background:var(--ok)}button.reject{background:var(--card);color:var(--bad);border-color:var(--bad)}
button:disabled{opacity:.5;cursor:default}
.error{color:var(--bad);font-weight:600}
ul.plain,ul.people,ul.comments{list-style:none;padding:0}.steps{padding-left:1.1rem}.steps>li{margin-bottom:.7rem}
.people li,.comments li{margin:.25rem 0}h2.sub{margin-top:1rem}
q.speech{display:block;white-space:pre-wrap;overflow-wrap:anywhere;margin:.2rem 0 0 1.2rem;padding-left:.6rem;
border-left:3px solid var(--line);color:var(--muted)}q.speech::before,q.speech::after{content:none}"""


@dataclass(frozen=True)
class Reply:
    status: str
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


def request_length(environ: dict[str, Any]) -> int | None:
    """The request's Content-Length (0 when absent); None when it is not a plain count of bytes."""
    declared = (environ.get("CONTENT_LENGTH") or "0").strip()
    return int(declared) if _LENGTH.fullmatch(declared) else None


def script_source(script: str) -> str:
    """The Content-Security-Policy source that lets exactly this inline script run, and nothing else."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def security_headers(policy: str) -> list[tuple[str, str]]:
    """The headers every page sends: nothing cached (a page shows one moment and carries a link's
    credential), no Referer (the URL is the credential), no framing by another site (clickjacking), and
    `policy` as the Content-Security-Policy (what the page may load and run)."""
    return [
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", policy),
    ]


def html_document(title: str, body: str, lang: str, *, head: str = "") -> bytes:
    """A whole page in the shared look: `body` is markup, `title` text, `lang` the page's language
    ("zh_CN" or "en"), `head` extra markup for the head."""
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="color-scheme" content="light dark">\n<title>{html.escape(title)}</title>\n'
        f"<style>{STYLE}</style>\n{head}</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    ).encode()


def html_lang(lang: str) -> str:
    """The catalog's language code as HTML's lang attribute spells it."""
    return lang.replace("_", "-")
