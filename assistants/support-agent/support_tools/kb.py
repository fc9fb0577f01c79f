"""A small built-in help-centre for Northwind Notes, searched by keyword scoring.

Replace ``FAQ`` with your own articles (or load them from a file beside this module); the
scoring needs no index and no network.
"""

import re

FAQ: list[dict[str, str]] = [
    {
        "id": "KB-001",
        "question": "How do I reset my password?",
        "keywords": "password reset forgot login sign in locked",
        "answer": (
            "On the sign-in page choose 'Forgot password', enter the account email, and follow "
            "the link we send (valid for 30 minutes). Check the spam folder if it does not arrive"
            " within 5 minutes. After 5 failed sign-ins the account is locked for 15 minutes."
        ),
    },
    {
        "id": "KB-002",
        "question": "I lost my phone and cannot pass two-factor authentication.",
        "keywords": "2fa two-factor authenticator code lost phone recovery codes",
        "answer": (
            "Use one of the 10 recovery codes saved when 2FA was turned on. Without them, support"
            " must verify identity before removing 2FA: open a ticket; it takes 1-3 business "
            "days. Support never asks for the password or a current 2FA code."
        ),
    },
    {
        "id": "KB-003",
        "question": "How do I change the email address of my account?",
        "keywords": "change email address account settings update",
        "answer": (
            "Settings > Account > Email. We send a confirmation link to the new address and a "
            "notice to the old one; the change applies once the link is opened."
        ),
    },
    {
        "id": "KB-004",
        "question": "What plans are there and what do they cost?",
        "keywords": "plans pricing price cost free plus team upgrade",
        "answer": (
            "Free: 1 device, 200 notes. Plus: 4 EUR/month or 40 EUR/year, unlimited notes and "
            "devices, offline mode. Team: 8 EUR per user/month, shared spaces, admin console, "
            "SSO. Prices include VAT in the EU."
        ),
    },
    {
        "id": "KB-005",
        "question": "Can I get a refund?",
        "keywords": "refund money back charge charged cancel billing",
        "answer": (
            "Yearly plans can be refunded in full within 14 days of the charge; monthly plans are"
            " not refunded but can be cancelled at any time. Duplicate or mistaken charges are "
            "always refunded: open a ticket with the date and amount (never the full card "
            "number)."
        ),
    },
    {
        "id": "KB-006",
        "question": "How do I cancel my subscription?",
        "keywords": "cancel subscription stop renewal downgrade plan",
        "answer": (
            "Settings > Billing > Cancel plan. The plan stays active until the end of the paid "
            "period, then the account moves to Free. Notes are kept; over 200 notes become read-"
            "only until you upgrade again or delete some."
        ),
    },
    {
        "id": "KB-007",
        "question": "Where do I find invoices and how do I add a VAT number?",
        "keywords": "invoice receipt vat tax company billing address",
        "answer": (
            "Settings > Billing > Invoices lists every invoice as PDF. Add a VAT number and "
            "company address under Billing details; it applies to future invoices. Past invoices "
            "can be reissued through a ticket."
        ),
    },
    {
        "id": "KB-008",
        "question": "My notes are not syncing between devices.",
        "keywords": "sync syncing not updating devices conflict missing notes",
        "answer": (
            "1) Check every device is signed in to the same account. 2) Update the app to the "
            "latest version. 3) Pull down to refresh (mobile) or use File > Sync now (desktop). "
            "4) A note edited on two devices offline keeps both versions as 'conflicted copy'. If"
            " notes still differ after an hour, open a ticket with the device types and app "
            "versions."
        ),
    },
    {
        "id": "KB-009",
        "question": "How do I export my notes?",
        "keywords": "export backup download markdown pdf data portability",
        "answer": (
            "Desktop app: File > Export > All notes, as Markdown (a zip with attachments) or PDF."
            " Web: Settings > Data > Request export; we email a download link within 24 hours."
        ),
    },
    {
        "id": "KB-010",
        "question": "How do I delete my account and data?",
        "keywords": "delete account remove data gdpr erase close",
        "answer": (
            "Settings > Account > Delete account. Data is deleted after a 30-day grace period "
            "(sign in to undo). Backups are purged within 90 days. Export your notes first: "
            "deletion cannot be undone after the grace period."
        ),
    },
    {
        "id": "KB-011",
        "question": "Does the app work offline?",
        "keywords": "offline mode no internet airplane",
        "answer": (
            "With Plus or Team, notes marked 'Available offline' (or all notes, Settings > "
            "Offline) can be read and edited without a connection and sync when back online. The "
            "Free plan needs a connection."
        ),
    },
    {
        "id": "KB-012",
        "question": "How do I share a note or a space with someone?",
        "keywords": "share sharing permissions invite collaborate link view edit",
        "answer": (
            "Open the note > Share. Invite by email with 'can view' or 'can edit', or create a "
            "read-only link. Shared spaces need the Team plan. Revoke access from the same dialog"
            " at any time."
        ),
    },
    {
        "id": "KB-013",
        "question": "Is my data private and where is it stored?",
        "keywords": "privacy security encryption data stored gdpr location servers",
        "answer": (
            "Notes are encrypted in transit (TLS) and at rest, stored in EU data centres "
            "(Frankfurt and Dublin). Staff cannot read notes without a support request you "
            "approve. The privacy policy lists every subprocessor."
        ),
    },
]

_STOPWORDS = frozenset(
    "a an and are can do does for from how i in is it me my of on or the to what where why "
    "with you your "
    "not cannot get".split()
)


def _terms(text: str) -> list[str]:
    """Lower-case words without stop words, with a light plural/-ing/-ed stemming."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    stems = []
    for word in words:
        if word in _STOPWORDS:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if len(word) > len(suffix) + 3 and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
        stems.append(word)
    return stems


def search_kb(query: str, limit: int = 3) -> str:
    """Search the help-centre articles and return the best matching answers.

    Always search before answering a question about the product, billing, account or privacy,
    and base the answer on the articles found. Use short keyword queries such as
    "refund yearly plan" or "sync conflict".

    Args:
        query: What to look for, in a few words.
        limit: How many articles to return at most, 1 to 5.

    Returns:
        The matching articles as "[KB-id] question" followed by the answer, best match first,
        or a sentence saying nothing matched.
    """
    limit = max(1, min(limit, 5))
    wanted = set(_terms(query))
    if not wanted:
        return "Empty query: give a few keywords, e.g. 'reset password'."
    scored: list[tuple[int, str, dict[str, str]]] = []
    for article in FAQ:
        question = set(_terms(article["question"]))
        keywords = set(_terms(article["keywords"]))
        answer = set(_terms(article["answer"]))
        score = sum(3 * (t in question) + 2 * (t in keywords) + (t in answer) for t in wanted)
        if score:
            scored.append((-score, article["id"], article))
    if not scored:
        return (
            f"No help-centre article matches {query!r}. Try other keywords, "
            "or open a ticket if the customer needs a person."
        )
    scored.sort()
    return "\n\n".join(f"[{a['id']}] {a['question']}\n{a['answer']}" for _, _, a in scored[:limit])
