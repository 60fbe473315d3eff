"""Hostile text, as Plain could send it, and a parser-based audit of what a page would run.

Everything from Plain is untrusted text (DESIGN.md, security invariant 4). These are the payloads
the tests put into every Plain field the portal renders, and `audit`, which reads a rendered page
with the standard library's HTML parser, as a browser would, and names everything in it that could
run script, load something or lead somewhere unsafe.
"""

from __future__ import annotations

from html.parser import HTMLParser

from plain_gateway.components import Component, components_from_input

# Hostile content of every kind, each piece marked so a survivor is easy to name.
HOSTILE = "\n\n".join(
    [
        "<script>alert('s1')</script>",
        "<img src=x onerror=\"alert('s2')\">",
        "[click](javascript:alert('s3'))",
        "[click](JaVaScRiPt:alert('s4'))",
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[entity](&#106;avascript:alert('s5'))",
        "[entity](&#x6A;avascript&colon;alert('s6'))",
        "![image](javascript:alert('s7'))",
        "![pixel](https://tracker.example/p.gif)",
        "<a href=\"javascript:alert('s8')\">raw link</a>",
        "<svg onload=alert('s9')>",
        '<div style="background:url(javascript:alert(1))">styled</div>',
        "<<script>script>alert('s10')<</script>/script>",
        "\"'><script>alert('s11')</script>",
        "<iframe src=javascript:alert('s12')></iframe>",
        "[reference][1]\n\n[1]: javascript:alert('s13')",
        "<javascript:alert('s14')>",
        "[tab](java\tscript:alert('s15'))",
        '<a href="https://ok.test" onclick="alert(\'s16\')">ok</a>',
        "<b onmouseover=alert('s17')>broken <i>html",
        "[ok](https://example.com/fine)",
    ]
)
HOSTILE_URLS = [
    "javascript:alert('u1')",
    " JavaScript:alert('u2')",
    "java\nscript:alert('u3')",
    "data:text/html,<script>alert('u4')</script>",
    "&#106;avascript:alert('u5')",
    "\"><script>alert('u6')</script>",
    "//evil.test/u7",
]
SAFE_LINK_REL = {"noopener", "noreferrer", "nofollow"}
DANGEROUS_TAGS = {
    "style", "iframe", "object", "embed", "img", "svg", "math", "frame", "frameset", "base",
    "video", "audio", "source", "picture", "applet", "template",
}  # fmt: skip
OWN_STYLESHEETS = ("/static/", "/brand.css?v=")
DANGEROUS_ATTRIBUTES = {"style", "srcdoc", "formaction", "xlink:href", "background", "poster"}


class PageAudit(HTMLParser):
    """Everything in a page that could run, load or lead somewhere unsafe, as a list of problems.

    The page's own chrome is allowed: scripts and stylesheets from /static/, the brand's colours
    (/brand.css, generated from settings: portal/brand/), forms posting to
    our own paths, meta tags in the head."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_body = False
        self.in_script = False
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "body":
            self.in_body = True
        if tag == "script":
            self.in_script = True
            if not (attributes.get("src") or "").startswith("/static/"):
                self.problems.append(f"script {attributes}")
        elif tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}> {attributes}")
        elif tag in ("meta", "link") and self.in_body:
            self.problems.append(f"<{tag}> in the body")
        elif tag == "link" and not (attributes.get("href") or "").startswith(OWN_STYLESHEETS):
            self.problems.append(f"link {attributes}")
        for name, value in attributes.items():
            if name.startswith("on") or name in DANGEROUS_ATTRIBUTES:
                self.problems.append(f"{tag}[{name}={value!r}]")
            if name == "src" and tag != "script":
                self.problems.append(f"{tag}[src={value!r}]")
            if name == "action" and not (value or "").startswith("/"):
                self.problems.append(f"{tag}[action={value!r}]")
        if tag == "a" and "href" in attributes:
            self._check_link(attributes)

    def _check_link(self, attributes):
        href = (attributes["href"] or "").strip()
        lowered = href.lower()
        if lowered.startswith(("http://", "https://", "mailto:")):
            self.links.append(attributes)
            if lowered.startswith("http"):
                rel = set((attributes.get("rel") or "").split())
                if not rel >= SAFE_LINK_REL or attributes.get("target") != "_blank":
                    self.problems.append(f"external link without rel/target: {attributes}")
        elif not (
            (href.startswith("/") and not href.startswith("//")) or href.startswith(("?", "#"))
        ):
            self.problems.append(f"a[href={href!r}]")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append(f"inline script: {data[:60]!r}")


def audit(html: str) -> PageAudit:
    page = PageAudit()
    page.feed(html)
    page.close()
    return page


def hostile_components() -> tuple[Component, ...]:
    """Every kind that carries text, hostile, as leaves, in a row and in a container."""
    leaves = [
        {"componentText": {"text": HOSTILE}},
        {"componentPlainText": {"plainText": HOSTILE}},
        {"componentBadge": {"badgeLabel": HOSTILE, "badgeColor": "RED"}},
        {"componentCopyButton": {"copyButtonValue": HOSTILE, "copyButtonTooltipLabel": HOSTILE}},
        *(
            {"componentLinkButton": {"linkButtonUrl": url, "linkButtonLabel": HOSTILE}}
            for url in HOSTILE_URLS
        ),
        {"componentLinkButton": {"linkButtonUrl": "https://ok.test/x", "linkButtonLabel": "Ok"}},
    ]
    return components_from_input(
        [
            *leaves,
            {"componentRow": {"rowMainContent": leaves[:2], "rowAsideContent": leaves[2:4]}},
            {"componentContainer": {"containerContent": leaves}},
        ]
    )


def unescaped_text(html: str) -> str:
    parser = HTMLParser(convert_charrefs=True)
    chunks: list[str] = []
    parser.handle_data = chunks.append
    parser.feed(html)
    parser.close()
    return "".join(chunks)


# One-line hostile strings for the short fields (names, labels, choices, file names): a tag with a
# handler, a script, an attribute breakout, a script URL and a markdown link, each marked.
HOSTILE_LINES = [
    "<img src=x onerror=alert('n1')>",
    "<script>alert('n2')</script>",
    "\"><svg onload=alert('n3')>",
    "'><b onmouseover=alert('n4')>x</b>",
    "javascript:alert('n5')",
    "[click](javascript:alert('n6'))",
]


def hostile_workspace_create(plain) -> None:
    """Label types (categories) and thread fields of each kind the form asks, every text of them
    hostile: names, labels, descriptions and choices."""
    for index, text in enumerate(HOSTILE_LINES):
        plain.create_label_type(name=f"{text} #{index}")
    plain.create_thread_field_schema(
        key="area",
        label=HOSTILE_LINES[0],
        description=HOSTILE_LINES[1] + " " + HOSTILE_LINES[2],
        type="ENUM",
        enum_values=HOSTILE_LINES[2:],
        is_required=True,
        order=1,
    )
    plain.create_thread_field_schema(
        key="order",
        label=HOSTILE_LINES[3],
        description="<img src=x onerror=alert('d1')> [see](javascript:alert('d2'))",
        type="STRING",
        order=2,
    )
    plain.create_thread_field_schema(
        key="blocking",
        label=HOSTILE_LINES[4],
        description="<svg onload=alert('d3')>",
        type="BOOL",
        order=3,
    )
