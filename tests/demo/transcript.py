"""What each member saw during the tour, and two ways to show it: plain text and one HTML page.

The tour records entries (``Narration``, ``Action``, ``Post``) per scene. A ``Post`` is a snapshot of a
message as the double holds it: content, embeds, buttons, attachments, and who saw it (a channel post:
everyone in the cast; an ephemeral reply or a DM: one member). Timestamp tokens are rendered the way
the viewer's Discord shows them (``timestamps.py``): a private message in its member's language and zone;
a channel post in the reader's zone, with a line giving each member's own view of its times.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tests.demo import timestamps

LANGUAGE_NAMES = {"en": "English", "fr": "French", "es": "Spanish"}
BOT_NAME = "WIM Alliance Bot"


@dataclass(frozen=True)
class Persona:
    """A member of the seeded Alliance server, with what their Discord client is set to."""

    key: str
    name: str
    title: str  # what they are in the Alliance, for the reader
    locale: str  # their Discord language ("en-US", "fr", "es-ES", ...)
    zone: str  # their device's time zone
    color: str  # avatar colour on the page

    @property
    def language(self) -> str:
        return LANGUAGE_NAMES.get(self.locale.split("-")[0], self.locale)

    @property
    def label(self) -> str:
        return f"{self.name} (Discord in {self.language}, {self.zone})"


@dataclass(frozen=True)
class Reader:
    """Whoever reads the transcript: channel posts show their times in this zone."""

    zone: str
    locale: str = "en-GB"


@dataclass(frozen=True)
class FileShown:
    filename: str
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Post:
    kind: Literal["channel", "ephemeral", "dm"]
    where: str  # "#announcements", or "Direct messages"
    author: str
    content: str
    embeds: tuple[dict[str, Any], ...]
    components: tuple[dict[str, Any], ...]
    files: tuple[FileShown, ...]
    at: datetime  # the bot's time when it was seen
    viewer: Persona | None = None  # the one member who sees an ephemeral reply or a DM
    audience: tuple[Persona, ...] = ()  # for a channel post: whose view of its times to list
    caption: str | None = None  # e.g. "The announcement, updated"


@dataclass(frozen=True)
class Action:
    actor: Persona
    text: str  # "used /event create", "clicked ✅ Going"
    detail: str = ""  # the options typed, if any


@dataclass(frozen=True)
class Narration:
    text: str
    kind: Literal["note", "clock", "system"] = "note"


@dataclass(frozen=True)
class Screenshot:
    """A page the bot served on the web (the hub), pictured in a browser. The picture is a file saved
    next to the transcript page; ``path`` is relative to it."""

    path: str  # "hub/organisations-en.png"
    alt: str
    caption: str
    url: str  # the page pictured, as the tour served it


Entry = Post | Action | Narration | Screenshot


@dataclass
class SceneLog:
    key: str
    title: str
    summary: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Transcript:
    reader: Reader
    names: dict[str, str] = field(default_factory=dict)  # "@id" / "@&id" / "#id" -> display name
    scenes: list[SceneLog] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        self.scenes[-1].entries.append(entry)


# ---- shared: mentions, timestamps, what a message's text is ----------------------------------------

_MENTION = re.compile(r"<(@&|@!?|#)(\d+)>")


def _mention_name(names: dict[str, str], kind: str, ident: str) -> str:
    prefix = {"@&": "@&", "@": "@", "@!": "@", "#": "#"}[kind]
    name = names.get(prefix + ident)
    if name is None:
        return "@unknown" if kind != "#" else "#unknown"
    return ("#" if kind == "#" else "@") + name


def _viewer_of(post: Post, reader: Reader) -> tuple[str, str]:
    """(locale, zone) the post's timestamps are shown in."""
    if post.viewer is not None:
        return post.viewer.locale, post.viewer.zone
    return reader.locale, reader.zone


def _embed_fields(embed: dict[str, Any]) -> Iterable[tuple[str, str]]:
    for item in embed.get("fields", []):
        yield str(item.get("name", "")), str(item.get("value", ""))


def _all_text(post: Post) -> str:
    parts = [post.content]
    for embed in post.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{name} {value}" for name, value in _embed_fields(embed)]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(p for p in parts if p)


def _buttons(post: Post) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(items: Iterable[dict[str, Any]]) -> None:
        for item in items:
            if item.get("type") == 2:
                found.append(item)
            walk(item.get("components", []))

    walk(post.components)
    return found


def _button_text(button: dict[str, Any]) -> str:
    emoji = (button.get("emoji") or {}).get("name", "")
    label = button.get("label", "")
    return " ".join(part for part in (emoji, label) if part)


def times_by_member(post: Post) -> list[tuple[Persona, str]]:
    """For a channel post with timestamps: each audience member's rendering of its distinct tokens."""
    found = list(dict.fromkeys(timestamps.tokens(_all_text(post))))
    if not found or post.kind != "channel":
        return []
    rows = []
    for persona in post.audience:
        shown = [
            timestamps.format_timestamp(unix, style, locale=persona.locale, zone=persona.zone, now=post.at)
            for unix, style in found
        ]
        rows.append((persona, " · ".join(shown)))
    return rows


def moment_text(moment: datetime, reader: Reader) -> str:
    local = moment.astimezone(ZoneInfo(reader.zone))
    lang = timestamps.language_of(reader.locale)
    return (
        f"{lang.weekdays[local.weekday()][:3]} {local.day} {lang.months[local.month - 1][:3]}, {local:%H:%M}"
    )


# ---- plain text -------------------------------------------------------------------------------------


def _plain(text: str, post: Post, transcript: Transcript) -> str:
    locale, zone = _viewer_of(post, transcript.reader)
    text = timestamps.render(text, locale=locale, zone=zone, now=post.at)
    return _MENTION.sub(lambda m: _mention_name(transcript.names, m.group(1), m.group(2)), text)


def render_text(transcript: Transcript) -> str:
    out: list[str] = []
    for number, scene in enumerate(transcript.scenes, start=1):
        out += ["", f"=== {number}. {scene.title} ===", scene.summary, ""]
        for entry in scene.entries:
            out += _entry_lines(entry, transcript)
    return "\n".join(out).lstrip("\n") + "\n"


def _entry_lines(entry: Entry, transcript: Transcript) -> list[str]:
    if isinstance(entry, Narration):
        mark = {"note": "·", "clock": "⏩", "system": "⚙"}[entry.kind]
        return [f"{mark} {entry.text}", ""]
    if isinstance(entry, Action):
        detail = f"  {entry.detail}" if entry.detail else ""
        return [f"▶ {entry.actor.name} {entry.text}{detail}", ""]
    if isinstance(entry, Screenshot):
        return [f"🖼 {entry.caption}: {entry.url} (picture: {entry.path})", ""]
    return _post_lines(entry, transcript)


def _post_lines(post: Post, transcript: Transcript) -> list[str]:
    when = moment_text(post.at, transcript.reader)
    if post.kind == "ephemeral":
        assert post.viewer is not None
        head = f"{post.where} · {post.author} · {when} · only visible to {post.viewer.name}"
    elif post.kind == "dm":
        assert post.viewer is not None
        head = f"Direct message from {post.author} to {post.viewer.name} · {when}"
    else:
        head = f"{post.where} · {post.author} · {when}"
    lines = [f"┌ {post.caption}: {head}" if post.caption else f"┌ {head}"]
    body: list[str] = []
    if post.content:
        body += _plain(post.content, post, transcript).splitlines()
    for embed in post.embeds:
        for key in ("title", "description"):
            if embed.get(key):
                text = _plain(str(embed[key]), post, transcript)
                body += [f"┃ {line}" for line in text.splitlines()]
        for name, value in _embed_fields(embed):
            value_text = _plain(value, post, transcript).replace("\n", " / ")
            body.append(f"┃ {_plain(name, post, transcript)}: {value_text}")
        footer = (embed.get("footer") or {}).get("text")
        if footer:
            body.append(f"┃ — {_plain(footer, post, transcript)}")
    buttons = _buttons(post)
    if buttons:
        body.append(
            " ".join(
                f"[{_button_text(b)}{' (disabled)' if b.get('disabled') else ''}]"
                + (f" → {b['url']}" if b.get("url") else "")
                for b in buttons
            )
        )
    for shown in post.files:
        kind = image_type(shown) or shown.content_type or "file"
        body.append(f"📎 {shown.filename} ({kind}, {len(shown.data)} bytes)")
        body += [f"   {line}" for line in _file_excerpt(shown)]
    for persona, text in times_by_member(post):
        body.append(f"🕑 {persona.label}: {text}")
    lines += [f"│ {line}" for line in body]
    lines += ["└", ""]
    return lines


def _file_excerpt(shown: FileShown, limit: int = 6) -> list[str]:
    """The telling lines of a calendar file (summary, start, rule), or the first lines of a text file."""
    is_text = (shown.content_type or "").startswith("text/") or shown.filename.endswith((".ics", ".txt"))
    if not is_text:
        return []
    lines = shown.data.decode("utf-8", errors="replace").splitlines()
    telling = [line for line in lines if line.startswith(("SUMMARY", "DTSTART", "DTEND", "RRULE", "URL"))]
    return (telling or lines)[:limit]


_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(shown: FileShown) -> str | None:
    """The image type of an attachment Discord would show inline, from its bytes (the upload's own
    content type is often application/octet-stream); None for any other file."""
    for signature, kind in _IMAGE_SIGNATURES:
        if shown.data.startswith(signature):
            return kind
    if shown.data[:4] == b"RIFF" and shown.data[8:12] == b"WEBP":
        return "image/webp"
    return None


# ---- HTML -------------------------------------------------------------------------------------------

_STYLE = """
:root { color-scheme: dark; }
* { box-sizing: border-box; }
body { margin: 0; background: #313338; color: #dbdee1;
  font: 15px/1.4 "gg sans", "Noto Sans", "Helvetica Neue", Helvetica, Arial, sans-serif; }
header { background: #2b2d31; padding: 20px 32px; border-bottom: 1px solid #1e1f22; }
header h1 { margin: 0 0 6px; font-size: 22px; color: #f2f3f5; }
header p { margin: 4px 0; color: #b5bac1; max-width: 60em; }
nav ol { margin: 10px 0 0; padding-left: 20px; color: #b5bac1; }
nav a { color: #00a8fc; text-decoration: none; }
main { max-width: 980px; padding: 8px 32px 48px; }
@media (max-width: 600px) {
  header { padding: 16px 14px; } main { padding: 8px 12px 40px; }
  .msg { gap: 10px; } .avatar { flex-basis: 32px; height: 32px; }
  .narration { margin-left: 42px; }
}
.cast { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 10px; }
.who { background: #1e1f22; border-radius: 6px; padding: 6px 10px; font-size: 13px; }
section.scene { margin-top: 28px; }
section.scene h2 { font-size: 18px; color: #f2f3f5; border-bottom: 1px solid #3f4147; padding-bottom: 6px; }
.summary { color: #b5bac1; margin: 0 0 12px; }
.narration { color: #b5bac1; font-style: italic; margin: 10px 0 10px 56px; }
.narration.clock { color: #f0b232; font-style: normal; font-weight: 600; }
.narration.system { color: #949ba4; font-style: normal; }
.msg { display: flex; gap: 14px; padding: 6px 0; }
.avatar { flex: 0 0 40px; height: 40px; border-radius: 50%; display: flex; align-items: center;
  justify-content: center; font-weight: 700; color: #fff; }
.body { min-width: 0; flex: 1; }
.meta { font-size: 13px; color: #949ba4; }
.meta .name { color: #f2f3f5; font-weight: 600; font-size: 15px; margin-right: 6px; }
.tag { background: #5865f2; color: #fff; font-size: 10px; font-weight: 600; border-radius: 3px;
  padding: 1px 4px; margin-right: 6px; vertical-align: 2px; }
.where { color: #949ba4; font-size: 12px; margin-bottom: 2px; }
.caption { color: #b5bac1; font-size: 12px; font-weight: 600; text-transform: uppercase; margin-bottom: 2px; }
.content { white-space: pre-wrap; overflow-wrap: anywhere; }
/* A code block keeps its columns (the report's table): it scrolls inside itself, never the page. */
pre.codeblock { margin: 4px 0; padding: 8px; background: #2b2d31; border: 1px solid #1e1f22;
  border-radius: 4px; white-space: pre; overflow-x: auto; max-width: 100%; font-size: 13px;
  line-height: 1.35; }
.embed pre.codeblock { background: #1e1f22; }
.embed:has(pre.codeblock) { max-width: 640px; }  /* room for the report's table on a wide screen */
.content pre.codeblock code { background: none; padding: 0; font-size: inherit; }
.action .content { color: #b5bac1; }
.action code, .content code { background: #2b2d31; border-radius: 3px; padding: 1px 4px; font-size: 13px; }
.embed { border-left: 4px solid #5865f2; background: #2b2d31; border-radius: 4px; padding: 8px 14px 10px;
  margin-top: 6px; max-width: 520px; min-width: 0; overflow-wrap: anywhere; }
.embed .title { font-weight: 700; color: #f2f3f5; margin-bottom: 4px; }
.fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 6px 12px;
  margin-top: 6px; }
.field { min-width: 0; overflow-wrap: anywhere; }
.field .fname { font-weight: 600; color: #f2f3f5; font-size: 13px; }
.field .fvalue { white-space: pre-wrap; font-size: 14px; }
.field.wide { grid-column: 1 / -1; }
.footer { color: #949ba4; font-size: 12px; margin-top: 8px; }
.buttons { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
.button { border-radius: 3px; padding: 4px 14px; color: #fff; font-size: 14px; font-weight: 500; }
.s1 { background: #5865f2; } .s2 { background: #4e5058; } .s3 { background: #248046; }
.s4 { background: #da373c; } .s5 { background: #4e5058; } .disabled { opacity: .5; }
.mention { background: rgba(88, 101, 242, .3); color: #c9cdfb; border-radius: 3px; padding: 0 2px; }
.ts { background: #3f4147; border-radius: 3px; padding: 0 2px; }
.ephemeral { background: rgba(88, 101, 242, .07); border-radius: 6px; padding: 6px 8px; }
.only { color: #949ba4; font-size: 12px; margin-top: 4px; }
.dm { background: #2b2d31; border: 1px solid #1e1f22; border-radius: 8px; padding: 8px; }
.file { display: inline-block; max-width: 100%; background: #2b2d31; border: 1px solid #1e1f22;
  border-radius: 6px; padding: 8px 12px; margin-top: 6px; overflow-wrap: anywhere; }
.file a { color: #00a8fc; }
.file pre { margin: 6px 0 0; color: #b5bac1; font-size: 12px; white-space: pre-wrap;
  overflow-wrap: anywhere; }
/* Images show inline, as Discord shows them, scaled down to the column. */
.image { display: block; margin: 6px 0 0; max-width: min(100%, 520px); }
.image img { display: block; max-width: 100%; height: auto; border-radius: 6px; background: #fff; }
.image figcaption { font-size: 12px; color: #949ba4; margin-top: 2px; }
.image a { color: #00a8fc; }
/* A page of the web hub, pictured in a browser during the tour: as wide as the column. */
.shot { margin: 10px 0 14px 56px; max-width: 100%; }
.shot img { display: block; max-width: 100%; height: auto; border: 1px solid #1e1f22; border-radius: 6px; }
.shot figcaption { font-size: 13px; color: #b5bac1; margin-top: 4px; overflow-wrap: anywhere; }
.shot a { color: #00a8fc; }
@media (max-width: 600px) { .shot { margin-left: 0; } }
.times { margin-top: 6px; font-size: 13px; color: #b5bac1; }
.times li { margin: 2px 0; }
footer { color: #949ba4; font-size: 12px; margin: 40px 0 0; }
"""

_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*", re.S), r"<strong>\1</strong>"),
    (re.compile(r"__(.+?)__", re.S), r"<u>\1</u>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", re.S), r"<em>\1</em>"),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])", re.S), r"<em>\1</em>"),
    (re.compile(r"~~(.+?)~~", re.S), r"<s>\1</s>"),
    (re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)"), r'<a href="\2">\1</a>'),
]
# A fenced block (```lang, its lines, ```), with the line breaks around it: the block is a box of its own.
_FENCE = re.compile(r"\n?```(?:[\w+-]*\n)?(.*?)\n?```\n?", re.S)
_CODE = re.compile(r"``(.+?)``|`([^`\n]+)`")
_BARE_URL = re.compile(r'(?<!["=>])\b(https?://[^\s<]+[^\s<.,;:!?)])')
_MARK = re.compile("\x00(\\d+)\x01")


def _rich(text: str, post: Post, transcript: Transcript) -> str:
    """Discord markdown to HTML: mentions and timestamps as pills, bold, italics, code, links."""
    pieces: list[str] = []

    def keep(piece: str) -> str:
        pieces.append(piece)
        return f"\x00{len(pieces) - 1}\x01"

    locale, zone = _viewer_of(post, transcript.reader)
    now = post.at

    def stamp(match: re.Match[str]) -> str:
        unix, style = int(match.group(1)), match.group(2) or "f"
        shown = timestamps.format_timestamp(unix, style, locale=locale, zone=zone, now=now)
        exact = timestamps.format_timestamp(unix, "F", locale=locale, zone=zone, now=now)
        return keep(
            f'<span class="ts" title="{html.escape(exact)} ({html.escape(zone)})">{html.escape(shown)}</span>'
        )

    def mention(match: re.Match[str]) -> str:
        name = _mention_name(transcript.names, match.group(1), match.group(2))
        return keep(f'<span class="mention">{html.escape(name)}</span>')

    def fence(match: re.Match[str]) -> str:
        return keep(f'<pre class="codeblock"><code>{html.escape(match.group(1), quote=False)}</code></pre>')

    def code(match: re.Match[str]) -> str:
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        return keep(f"<code>{html.escape(inner, quote=False)}</code>")

    # Code first: Discord shows what is inside as typed (no markdown, mentions or timestamps there).
    text = _FENCE.sub(fence, text)
    text = _CODE.sub(code, text)
    text = timestamps.TOKEN.sub(stamp, text)
    text = _MENTION.sub(mention, text)
    text = html.escape(text, quote=False)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    text = _BARE_URL.sub(r'<a href="\1">\1</a>', text)
    lines = []
    for line in text.split("\n"):
        if line.startswith("&gt; "):
            line = f'<span style="border-left:4px solid #4e5058;padding-left:8px">{line[5:]}</span>'
        elif line.startswith("-# "):
            line = f'<span style="font-size:12px;color:#949ba4">{line[3:]}</span>'
        lines.append(line)
    text = "\n".join(lines)
    return _MARK.sub(lambda m: pieces[int(m.group(1))], text)


def _avatar(name: str, color: str) -> str:
    return f'<div class="avatar" style="background:{color}">{html.escape(name[:1])}</div>'


def render_html(transcript: Transcript, *, title: str, intro: str, cast: Iterable[Persona]) -> str:
    reader = transcript.reader
    rich: Callable[[str, Post], str] = lambda text, post: _rich(text, post, transcript)  # noqa: E731
    nav = "".join(
        f'<li><a href="#scene-{html.escape(s.key)}">{html.escape(s.title)}</a></li>'
        for s in transcript.scenes
    )
    people = "".join(
        f'<span class="who"><b>{html.escape(p.name)}</b>: {html.escape(p.title)}; Discord in '
        f"{html.escape(p.language)} ({html.escape(p.locale)}), {html.escape(p.zone)}</span>"
        for p in cast
    )
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p>",
        f"<p>Channel posts show their times in <b>{html.escape(reader.zone)}</b> (the reader's zone); "
        "private replies and direct messages show them as their member's Discord does, in that member's "
        "language and time zone. Hover a time for the full date.</p>",
        f'<div class="cast">{people}</div><nav><ol>{nav}</ol></nav></header><main>',
    ]
    for number, scene in enumerate(transcript.scenes, start=1):
        key = html.escape(scene.key)
        parts.append(
            f'<section class="scene" id="scene-{key}" data-scene="{key}">'
            f"<h2>{number}. {html.escape(scene.title)}</h2>"
            f'<p class="summary">{html.escape(scene.summary)}</p>'
        )
        for entry in scene.entries:
            parts.append(_entry_html(entry, transcript, rich))
        parts.append("</section>")
    parts.append(
        "<footer>Played by <code>make demo</code>: the real bot, unmodified, against the local Discord "
        "double (tests/double), with the shipped config.yml. Nothing left this machine.</footer>"
        "</main></body></html>"
    )
    return "\n".join(parts) + "\n"


def _entry_html(entry: Entry, transcript: Transcript, rich: Callable[[str, Post], str]) -> str:
    if isinstance(entry, Narration):
        return f'<p class="narration {entry.kind}">{html.escape(entry.text)}</p>'
    if isinstance(entry, Action):
        detail = f" <code>{html.escape(entry.detail)}</code>" if entry.detail else ""
        return (
            f'<div class="msg action">{_avatar(entry.actor.name, entry.actor.color)}<div class="body">'
            f'<div class="meta"><span class="name">{html.escape(entry.actor.name)}</span>'
            f"{html.escape(entry.actor.title)}</div>"
            f'<div class="content">{html.escape(entry.text)}{detail}</div></div></div>'
        )
    if isinstance(entry, Screenshot):
        url, path = html.escape(entry.url), html.escape(entry.path)
        return (
            f'<figure class="shot"><a href="{path}"><img src="{path}" alt="{html.escape(entry.alt)}"></a>'
            f'<figcaption>🖼 {html.escape(entry.caption)}: <a href="{url}">{url}</a> '
            "(served by the bot during the tour)</figcaption></figure>"
        )
    return _post_html(entry, transcript, rich)


def _post_html(post: Post, transcript: Transcript, rich: Callable[[str, Post], str]) -> str:
    when = html.escape(moment_text(post.at, transcript.reader))
    out = []
    if post.kind == "dm":
        assert post.viewer is not None
        out.append(f'<div class="where">✉ Direct message to {html.escape(post.viewer.name)}</div>')
    else:
        out.append(f'<div class="where">{html.escape(post.where)}</div>')
    if post.caption:
        out.append(f'<div class="caption">{html.escape(post.caption)}</div>')
    out.append(
        f'<div class="meta"><span class="name">{html.escape(post.author)}</span><span class="tag">APP</span>'
        f"{when}</div>"
    )
    if post.content:
        out.append(f'<div class="content">{rich(post.content, post)}</div>')
    for embed in post.embeds:
        color = f"#{int(embed['color']):06x}" if isinstance(embed.get("color"), int) else "#5865f2"
        inner = []
        if embed.get("title"):
            inner.append(f'<div class="title">{rich(str(embed["title"]), post)}</div>')
        if embed.get("description"):
            inner.append(f'<div class="content">{rich(str(embed["description"]), post)}</div>')
        fields = [
            f'<div class="field{"" if item.get("inline") else " wide"}"><div class="fname">'
            f'{rich(str(item.get("name", "")), post)}</div><div class="fvalue">'
            f"{rich(str(item.get('value', '')), post)}</div></div>"
            for item in embed.get("fields", [])
        ]
        if fields:
            inner.append(f'<div class="fields">{"".join(fields)}</div>')
        footer = (embed.get("footer") or {}).get("text")
        if footer:
            inner.append(f'<div class="footer">{rich(str(footer), post)}</div>')
        out.append(f'<div class="embed" style="border-left-color:{color}">{"".join(inner)}</div>')
    buttons = _buttons(post)
    if buttons:
        spans = "".join(
            f'<span class="button s{int(b.get("style", 2))}{" disabled" if b.get("disabled") else ""}">'
            f"{html.escape(_button_text(b))}</span>"
            for b in buttons
        )
        out.append(f'<div class="buttons">{spans}</div>')
    for shown in post.files:
        data = base64.b64encode(shown.data).decode("ascii")
        image = image_type(shown)
        if image is not None:
            name = html.escape(shown.filename)
            source = f"data:{image};base64,{data}"
            out.append(
                f'<figure class="image"><img src="{source}" alt="{name}">'
                f'<figcaption>🖼 <a download="{name}" href="{source}">{name}</a> ({len(shown.data)} bytes)'
                "</figcaption></figure>"
            )
            continue
        kind = html.escape(shown.content_type or "application/octet-stream")
        excerpt = "\n".join(_file_excerpt(shown))
        name = html.escape(shown.filename)
        out.append(
            f'<div class="file">📎 <a download="{name}" href="data:{kind};base64,{data}">'
            f"{name}</a> ({len(shown.data)} bytes)"
            + (f"<pre>{html.escape(excerpt)}</pre>" if excerpt else "")
            + "</div>"
        )
    rows = times_by_member(post)
    if rows:
        items = "".join(
            f"<li><b>{html.escape(p.name)}</b> (Discord in {html.escape(p.language)}, "
            f"{html.escape(p.zone)}): {html.escape(text)}</li>"
            for p, text in rows
        )
        out.append(
            f'<div class="times">🕑 The times as each member\'s Discord shows them:<ul>{items}</ul></div>'
        )
    if post.kind == "ephemeral":
        assert post.viewer is not None
        out.append(f'<div class="only">👁 Only visible to {html.escape(post.viewer.name)}</div>')
    css = {"ephemeral": "msg ephemeral", "dm": "msg dm", "channel": "msg"}[post.kind]
    return f'<div class="{css}">{_avatar(post.author, "#5865f2")}<div class="body">{"".join(out)}</div></div>'
