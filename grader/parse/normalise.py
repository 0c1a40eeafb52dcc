r"""Presentation clean-up before parsing: colour, boxes, prose, full-width punctuation, primes, bars, aliases.

Every rewrite keeps the text's length (a replaced span is padded with spaces), so the offsets a ParseError
reports still point into the student's original text. Nothing here decides mathematics except through the
context: a written name becomes its canonical variable only when the context's aliases say so.

>>> " ".join(tidy(r"\color{red}{\boxed{x + 1}}.").split())
'x + 1'
>>> " ".join(aliases("(H_{in} + 2 padding - kernel_size)/stride", DEFAULT).split())
'(I + 2 P - K )/S'
"""

from __future__ import annotations

import functools
import re

from grader.parse.context import DEFAULT, Context, alias_key, define, note
from grader.parse.names import Fail
from grader.parse.prescan import blank

# one character for one character: full-width forms and look-alikes people paste from Word or a PDF
_SAME_LENGTH = str.maketrans({
    "（": "(", "）": ")", "［": "[", "］": "]", "｛": "{", "｝": "}", "，": ",", "：": ":", "；": ";",
    "＝": "=", "＋": "+", "－": "-", "＊": "*", "／": "/", "｜": "|", "．": ".", "＾": "^", "＿": "_",
    "′": "'", "’": "'", "‘": "'", "‐": "-", "‑": "-", "—": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "\u200b": " ", "\t": " ", "≦": "≤", "≧": "≥", "。": ".", "、": ",", "✕": "×", "✖": "×", "⨯": "×", "∗": "*",
    **{chr(0xFF10 + k): str(k) for k in range(10)},  # full-width digits
    **{chr(0x2080 + k): str(k) for k in range(10)},  # subscript digits: A₁₂ is A12, the entry A_12
})
_COLOUR = re.compile(r"\\(?:color|textcolor)\s*\{[A-Za-z0-9!. ]*\}|\\(?:boxed|fbox|underline|bm|cancel)(?![A-Za-z])"
                     r"|\\math(?:python|tt)(?![A-Za-z])")
_MATH_PARENS = re.compile(r"(?<!\\)\\[()]")  # \( ... \), not the \\ of a row break
_PRIME = re.compile(r"\^\s*+(?:\{\s*+)?\\prime\s*+\}?|\\prime(?![A-Za-z])")
_MODULE_CALL = re.compile(r"\b(?:math|np|numpy|torch)\s*\.\s*"
                          r"(?=(?:floor|ceil|sqrt|log|exp|max|min|abs|mean|sum)\b)")
# S.mean(), x.max(): a method call on one name, rewritten as the function call mean(S) (same length)
_METHOD_CALL = re.compile(r"(?<![\\A-Za-z0-9_])([A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?)\s*\.\s*(mean|max|min|sum)\s*\(\s*\)")
# a closing remark in parentheses that starts with a word: "(stride 1)", "(since 5 - 3 + 1 = 3)"
_REMARK = re.compile(r"\(\s*([a-z]{3,})\s+[A-Za-z0-9\\][^(){}]*\)[\s.]*\Z")
_WRAPPER_OPEN = re.compile(r"\\(?:color|textcolor)\s*\{[A-Za-z0-9!. ]*\}\s*\{|\\href\s*\{[^{}]*\}\s*\{"
                           r"|\\(?:boxed|fbox|underline|cancel)\s*\{|\\(?:textbf|mathbf|emph|textit)\s*\{(?=\s*\\)")
_BRACE = re.compile(r"[{}]")
_NUM = re.compile(r"\\num\s*\{\s*([0-9.eE+\-]+)\s*\}")  # siunitx's \num{1e6}
# 109{,}0: a decimal comma (three digits after it are a thousands group, see thousands())
_DECIMAL_COMMA = re.compile(r"(?<![0-9])([0-9]+)\{,\}([0-9]{1,2}|[0-9]{4,})(?![0-9])")
# Markdown and document markup around an answer: code fences, `code`, **bold**, [text](url), "Answer:"
_MARKUP = re.compile(
    r"^[ \t]*```[A-Za-z0-9_+\-]*[ \t]*$"                       # a code fence line
    r"|(?<![\w`])`(?=[^`\n]+`)|(?<=[^`\n])`(?![\w`])"            # inline code
    r"|\A\s*(?:answer|ans\.?|solution|result)\s*[:：]",              # "Answer:"
    re.M | re.I)
_BOLD = re.compile(r"(?<![\w)\]}*])\*\*(?=[^\s*])([^\n*]*?[^\s*])\*\*(?![\w({\[*])")  # **...**, not the power x**2
_LINK = re.compile(r"\[([^\[\]\n]*)\]\((?:https?://|www\.)[^()\s]*\)")  # [text](url): the text stays
_EQUATION_ENV = re.compile(r"\\(?:begin|end)\s*\{\s*(?:equation|displaymath|math|gather|multline)\*?\s*\}")
# a condition after the answer: ", \quad p \geq 1", ", for p \ge 1"; a note says it was not graded
_CONDITION = re.compile(r",\s*+(?:\\q?quad\s*+)?(?:\\text\s*\{[^{}]*\}\s*+)?[A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?'*\s*"
                        r"(?:\\geq?|\\leq?|\\geqslant|\\leqslant|\\neq?|≥|≤|≠|>=|<=|>|<|\\in(?![A-Za-z]))[^,=]*\Z")
_TRAILING = re.compile(r"(?<![.\\])[.,;:](?=[\s$]*+(?:(?:\\\]|\\\))[\s$]*+)?\Z)")
# \text{...} outside a sub/superscript: a name we know stays, anything else is prose
_TEXT = re.compile(r"\\(?:text|textrm|textit|textbf|textnormal|mbox|mathrm|mathit|textsf)\s*\{([^{}]*)\}")
# the same in plain text: ", where I is the input size" (a word, not a command: not after a backslash)
_PLAIN_QUALIFIER = re.compile(r"(?<![\\A-Za-z])(?:where|with|when|given|for all|for each)\s+[A-Za-z\\]", re.I)
_BEFORE_QUALIFIER = re.compile(r"[\s,;]*\Z")
_ARROW_WORD = re.compile(r"->|→|\\to(?![A-Za-z])|\\(?:long)?rightarrow(?![A-Za-z])")
_OTHER_ANSWER = re.compile(r"(?i)\bor\b[^0-9]*[0-9]")
_LIM_SUBSCRIPT = re.compile(r"\\lim(?:\\limits)?\s*_\s*\{[^{}]*\}")
_DEFINING = re.compile(r"[\s,;(]*(?:where|with|given|let)\b", re.I)  # a clause that defines names
_QUALIFIER_WORD = re.compile(r"\A[\s,;]*(?:where|with|given|for all|for each)?\s*", re.I)
# definitions in such a clause: "N = 2", "N = K^2 and S = 1"
_DEFINITION = re.compile(r"(?:(?<=\A)|(?<=,)|(?<=\band)|(?<=;))\s*+([A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?)\s*+=\s*+"
                         r"((?:(?!\band\b)[^,;=])+)(?=,|;|\band\b|\Z)")
_OPERAND_END = re.compile(r"[A-Za-z0-9})\]]\s*\Z")
_OPERAND_START = re.compile(r"\s*(?:[A-Za-z0-9({\[]"
                            r"|\\(?!(?:cdot|times|le|ge|ne|to|in|quad|qquad)(?![A-Za-z]))[A-Za-z])")
_MARKUP_TRIGGER = re.compile(r"[`*]|\]\(|\A\s*(?:answer|ans|solution|result)", re.I)
_WORD = re.compile(r"[A-Za-z]+")
_DIGIT_GAP = re.compile(r"[0-9](?:\s|,|\\[,;:! ]|\\q?quad|~|\{,\}|\\thinspace)")  # thousands(), side_by_side()
_CALL_AFTER = re.compile(r"[ ]{0,3}\(")
_AFTER_SCRIPT = re.compile(r"[_^]\s*\{?\s*\Z")
# prose that qualifies what came before ("... where (i', j') \in S"): the rest of the answer goes with it
_QUALIFIER = re.compile(r"\s*(?:\(|i\.e\.|e\.g\.|s\.t\.|(?:where|for|with|when|if|such that|for all|and|since|because"
                        r"|so|which|as)\b)", re.I)
_KEEP_WORDS = frozenset("floor ceil max min mean avg average sum log ln exp sqrt abs lim".split())
_NAME_LIKE = re.compile(r"[A-Za-z][0-9]*'*\Z")
# a written name: word, optional subscripts (_in, _{in}, _{\text{in}}), primes, an axis index [0]
_SCRIPT = r"\\?_\s*(?:\{\s*(?:\\(?:text|mathrm|textrm)\s*\{\s*[A-Za-z0-9]+\s*\}|[A-Za-z0-9]+)\s*\}" \
          r"|\\(?:text|mathrm|textrm)\s*\{\s*[A-Za-z0-9]+\s*\}|[A-Za-z0-9]+)"
_NAME = re.compile(r"(?<![\\A-Za-z])[A-Za-z][A-Za-z0-9]*(?:" + _SCRIPT + r")*'*(?:\s*\[\s*[01]\s*\])?")
_AXIS = re.compile(r"\s*\[\s*([01])\s*\]\Z")
_BARS = re.compile(r"\\begin\s*\{\s*(?:array|tabular)\s*\}\s*\{[^{}]*\}|\\V?vert(?![A-Za-z])|\\\||‖|(?<!\\)\|")
CLOSE_BAR = "∣"  # U+2223: the closing bar of a pair, so |a| + |b| parses without guessing which bar closes
CLOSE_NORM = "∥"  # U+2225: the closing double bar of a norm
_THOUSANDS = re.compile(r"(?<![0-9.,])[0-9]{1,3}(?:(?:\s|\\[,;: ]|\{,\}|~|\\thinspace)+[0-9]{3})+(?![0-9.])")
# scripts are skipped (A_{2 4} is an entry); elsewhere "1 2" is refused
_SIDE_BY_SIDE = re.compile(r"[_^]\s*\{[^{}]*\}"
                           r"|(?<![\w.])([0-9]+(?:\.[0-9]+)?(?:\s|\\[,;:! ]|\\q?quad(?![A-Za-z])|~)+[0-9.]+)", re.S)
_COMMA_THOUSANDS = re.compile(r"\s*[0-9]{1,3}(?:(?:,|\{,\})[0-9]{3})+(?:\.[0-9]+)?\s*")


def tidy(text: str) -> str:
    """Look-alike characters, colour and boxes, ``math.floor``, primes and trailing punctuation."""
    # each rewrite runs only when its trigger is in the text: most answers need none of them
    text = unwrap(markup(text.translate(_SAME_LENGTH)))
    if "\\num" in text:
        text = _NUM.sub(lambda m: m.group(1).center(len(m.group())), text)
    if "{,}" in text:
        text = _DECIMAL_COMMA.sub(_decimal, text)
    if "\\" in text:
        text = blank(blank(text, _COLOUR), _MATH_PARENS)
    if "." in text:
        text = blank(text, _MODULE_CALL)
        text = _METHOD_CALL.sub(lambda m: f"{m.group(2)}({m.group(1)})".ljust(len(m.group())), text)
    if text.rstrip(" .").endswith(")") and (m := _REMARK.search(text)) and m.group(1) not in _KEEP_WORDS and (
            text[:m.start()].strip()):
        note(f"ignored the remark '{' '.join(m.group().split())}'")
        text = text[:m.start()] + " " * (len(text) - m.start())
    if "prime" in text:
        text = _PRIME.sub(lambda m: "'" + " " * (len(m.group()) - 1), text)
    return blank(text, _TRAILING)


def _decimal(m: re.Match) -> str:
    note(f"read {m.group()} as the decimal {m.group(1)}.{m.group(2)}")
    return f"{m.group(1)}.{m.group(2)}".ljust(len(m.group()))


def markup(text: str) -> str:
    """Markdown and document markup blanked: code fences, backticks, bold, link targets, an "Answer:" label.

    >>> " ".join(markup("**[nn.MaxPool2d](https://pytorch.org)**").split())
    'nn.MaxPool2d'
    """
    if _MARKUP_TRIGGER.search(text):
        text = _BOLD.sub(lambda m: "  " + m.group(1) + "  ", blank(text, _MARKUP))
        text = _LINK.sub(lambda m: " " + m.group(1) + " " * (len(m.group()) - len(m.group(1)) - 1), text)
    return blank(text, _EQUATION_ENV) if "\\begin" in text else text


def strip_markup(text: str) -> str:
    r"""``markup`` and the colour/box/link wrappers, for answers that are not maths (module names).

    >>> strip_markup(r"Answer: \href{https://pytorch.org}{\texttt{nn.MaxPool2d}}。")
    '\\texttt{nn.MaxPool2d}.'
    """
    return re.sub(r"\s+(?=[.,;:!]\Z)", "", " ".join(unwrap(markup(text.translate(_SAME_LENGTH))).split()))


def unwrap(text: str) -> str:
    r"""``\color{red}{...}``, ``\boxed{...}``: the command and its braces go, the inside stays (same length)."""
    at = 0
    while m := _WRAPPER_OPEN.search(text, at):
        at = m.start()
        depth, close = 1, None
        for brace in _BRACE.finditer(text, m.end()):
            depth += 1 if brace.group() == "{" else -1
            if depth == 0:
                close = brace.start()
                break
        if close is None:
            return text  # unbalanced: the parser reports it
        text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():close] + " " + text[close + 1:]
    return text


def prose(text: str, context: Context) -> str:
    r"""Drop ``\text{...}`` prose (with a note); keep names and known words, rewriting aliases to their variable.

    A qualifier (``where``, ``for``, ``(``) ends the answer: what follows is dropped with a note, except the
    definitions of a ``where``/``with``/``given`` clause (``where N = 2``), which the reader substitutes.
    """
    cut, qualifier = len(text), ""
    first = len(text) - len(text.lstrip())  # a qualifier only ends an answer that has started

    def replace(m: re.Match) -> str:
        nonlocal cut, qualifier
        if _AFTER_SCRIPT.search(text[max(0, m.start() - 4):m.start()]):
            return m.group()
        content = m.group(1).strip()
        if cut < m.start():  # already inside a dropped clause
            return m.group()
        key = alias_key(content.replace("\\_", "_"))
        canonical = context.canonical(key)
        if canonical is not None:
            return canonical.ljust(len(m.group()))
        if _QUALIFIER.match(content) and m.start() > first and cut == len(text):
            cut, qualifier = m.start(), content
            return " " * len(m.group())
        if key in _KEEP_WORDS or _NAME_LIKE.match(key) or (key.isalpha() and _CALL_AFTER.match(text, m.end())):
            return m.group()  # a name, or \text{input}(N_i, C_j, h, w): a tensor's entry
        if content:
            # words between two operands ("B_{11} \text{plus} B_{12}") would leave a product: a person checks
            between = _OPERAND_END.search(text[max(0, m.start() - 40):m.start()]) and _OPERAND_START.match(
                text[m.end():m.end() + 40])
            note(f"ignored the words '{content}'", guessed=bool(between))
        return " " * len(m.group())
    text = _TEXT.sub(replace, text)
    written = qualifier
    if cut == len(text) and (m := _PLAIN_QUALIFIER.search(text)) and text[:m.start()].strip():
        before = text[:m.start()]
        gap = _BEFORE_QUALIFIER.search(before[-200:])  # matches at the end always (maybe empty)
        cut = m.start() - (len(gap.group()) if gap else 0)  # with the ", " before it
        qualifier, written = m.group(), ""
    if cut < len(text) and (text[cut:].strip() or written):
        clause = _QUALIFIER_WORD.sub("", text[cut:], count=1)
        found = _DEFINITION.findall(clause) if _DEFINING.match(qualifier) else []
        for name, value in found:
            define(name, value.strip())
        if not found:
            dropped = " ".join(f"{written} {_TEXT.sub(lambda t: t.group(1), text[cut:])}".split())
            # a second limit in the dropped words ("p \to \infty for N \to \infty"): a person decides
            claims = _LIM_SUBSCRIPT.sub(" ", text[cut:])  # the arrow of a \lim_{p \to \infty} claims nothing
            # ... or another answer ("1568 (or 1536 without bias)"): a hedge, a person decides
            note(f"ignored '{dropped}' after the answer",
                 guessed=bool(_ARROW_WORD.search(claims) or _OTHER_ANSWER.search(dropped)))
        text = text[:cut] + blank(text[cut:], re.compile(r".+", re.S))
    return text


def aliases(text: str, context: Context) -> str:
    """Rewrite every written name the context knows (``H_{in}``, ``padding``, ``P[0]``) to its variable."""
    if not context.aliases or _alias_stems(context).isdisjoint(_WORD.findall(text)):
        return text

    def replace(m: re.Match) -> str:
        written = m.group()
        canonical = context.canonical(_AXIS.sub("", written))
        return written if canonical is None else canonical.ljust(len(written))
    text = _NAME.sub(replace, text)
    if "[" not in text:
        return text
    return re.sub(r"(?<![\\A-Za-z])([A-Z])\s*\[\s*[01]\s*\]",
                  lambda m: m.group(1).ljust(len(m.group())) if m.group(1) in context.variables else m.group(),
                  text)


@functools.lru_cache(maxsize=64)
def _alias_stems(context: Context) -> frozenset[str]:
    """The leading words of the context's aliases (``H`` of ``H_in``, ``padding``): a name can only match one."""
    return frozenset(m.group() for key in context.aliases for m in [_WORD.match(key)] if m)


def bars(text: str) -> str:
    """Pair ``|...|`` bars and ``\\|...\\|`` norms left to right; closing ones become ``CLOSE_BAR``/``CLOSE_NORM``."""
    out, last, opened = [], 0, {"|": False, "‖": False}
    for m in _BARS.finditer(text):
        if m.group().startswith("\\begin"):
            continue
        kind = "‖" if m.group() in ("\\|", "\\Vert", "‖") else "|"
        out.append(text[last:m.start()])
        bar = kind if not opened[kind] else {"|": CLOSE_BAR, "‖": CLOSE_NORM}[kind]
        out.append(bar.ljust(len(m.group())))
        opened[kind], last = not opened[kind], m.end()
    out.append(text[last:])
    return "".join(out)


def thousands(text: str) -> str:
    """``1 000``, ``1\\,000``, ``1{,}000`` (and ``1,000`` for a lone number) as one number, same length."""
    if "\\begin" in text:
        return text  # matrix cells are separated by spaces too
    if _COMMA_THOUSANDS.fullmatch(text):
        digits = re.sub(r"[^0-9.]", "", text)
        note(f"read '{text.strip()}' as the number {digits}", guessed="{,}" in text)
        return digits.ljust(len(text))

    def join(m: re.Match) -> str:
        # 1{,}000 is also how LaTeX writes a decimal comma (1.000): a person checks that reading
        note(f"read '{m.group()}' as the number {re.sub(r'[^0-9]', '', m.group())}", guessed="{,}" in m.group())
        return re.sub(r"[^0-9]", "", m.group()).ljust(len(m.group()))
    return _THOUSANDS.sub(join, text)


def side_by_side(text: str) -> None:
    """Refuse two numbers written next to each other (``1 2``): neither a product nor one number for sure."""
    for m in _SIDE_BY_SIDE.finditer(text):
        if m.group(1):
            number = " ".join(m.group(1).split())
            raise Fail(m.start(1), f"two numbers side by side ('{number}') are not supported; write the operator "
                       "between them, or the number without spaces")


def expression(text: str, context: Context = DEFAULT) -> str:
    """The whole clean-up for an expression, equation or limit."""
    text = blank(prose(tidy(text), context), _TRAILING)
    if (m := _CONDITION.search(text)) and text[:m.start()].strip():
        note(f"ignored the condition '{' '.join(m.group()[1:].split())}'")
        text = text[:m.start()] + " " * (len(text) - m.start())
    text = aliases(text, context)
    if _DIGIT_GAP.search(text):
        text = thousands(text)
        side_by_side(text)
    if "|" in text or "vert" in text or "Vert" in text or "‖" in text:
        text = bars(text)
    return text
