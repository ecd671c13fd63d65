"""Expressions written two ways, TeX and plain text, with the precedence that decides parentheses.

:func:`render` writes one op applied to its inputs' expressions (``tanh``, ``w x + b``, a
quotient as ``\\frac``, ...); :func:`tex_name` turns a node's name into TeX (``w1`` is ``w_{1}``).
:func:`~autograd.viz.formula.formula` builds a graph's formula from these, node by node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import Node
from ..value import Dot, Sum

__all__: list[str] = []

# precedence: a part binding looser than needed gets ( ); a matrix product binds looser than an
# elementwise one, so W (a b) and (W a) b keep their parentheses
SUM, MATMUL, PROD, POW, ATOM = 1, 2, 3, 4, 5
TERMS = 4  # an n-ary sum of more terms is abbreviated with dots unless expand=True
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "sigma",
          "tau", "phi", "psi", "omega", "rho", "nu", "xi", "kappa", "zeta", "chi", "pi"}
FUNCS = {  # op name -> (TeX, text) of the function it is
    "tanh": (r"\tanh", "tanh"), "exp": (r"\exp", "exp"), "log": (r"\log", "log"),
    "sin": (r"\sin", "sin"), "cos": (r"\cos", "cos"), "sigmoid": (r"\sigma", "sigmoid"),
    "ReLU": (r"\mathrm{relu}", "relu"), "erf": (r"\operatorname{erf}", "erf"),
    "maximum": (r"\max", "maximum"), "minimum": (r"\min", "minimum"),
}


@dataclass(frozen=True)
class Expr:
    """An expression written two ways: ``tex`` (binding as tightly as ``tex_prec``) and
    ``text`` (binding as ``text_prec``): ``SUM < MATMUL < PROD < POW < ATOM``."""

    tex: str
    tex_prec: int
    text: str
    text_prec: int

    def t(self, need: int) -> str:
        """The TeX, in parentheses if it binds looser than ``need``."""
        return self.tex if self.tex_prec >= need else f"({self.tex})"

    def p(self, need: int) -> str:
        """The text, in parentheses if it binds looser than ``need``."""
        return self.text if self.text_prec >= need else f"({self.text})"


def atom(tex: str, text: str) -> Expr:
    """An expression that never needs parentheses (a name, a function applied)."""
    return Expr(tex, ATOM, text, ATOM)


DOTS = atom(r"\dots", "...")
YHAT = atom(r"\hat y", "y_hat")


def number(value: float) -> Expr:
    """A number, 4 significant digits (``1e-05`` in TeX: ``1 \\times 10^{-5}``)."""
    text = f"{value:.4g}"
    sign = {"-": "-", "+": ""}
    tex = re.sub(r"e([+-])0*(\d+)", lambda m: rf" \times 10^{{{sign[m[1]]}{m[2]}}}", text)
    prec = SUM if value < 0 else ATOM
    return Expr(tex, prec, text, prec)


def render(node: Any, args: list[Expr], expand: bool) -> Expr:
    """The expression of one op applied to its inputs' expressions (``node``: an op node)."""
    fn = node._fn
    assert fn is not None, "render() of a leaf"
    name = fn.name
    if isinstance(fn, (Dot, Sum)):
        if isinstance(fn, Dot):
            n = len(args) // 2
            terms = [mul(w, x) for w, x in zip(args[:n], args[n : 2 * n])]
        else:
            terms = list(args)
        if not expand and len(terms) > TERMS:
            terms = [*terms[:2], DOTS, terms[-1]]
        if isinstance(fn, Dot) and fn.bias:
            terms.append(args[-1])
        return plus(terms)
    if name in ("+", "-") and len(args) == 2:
        return plus(args) if name == "+" else plus([args[0], neg(args[1])])
    if name == "*":
        if square_base(node):  # a * a reads a^2: one use of a
            return Expr(f"{args[0].t(ATOM)}^{{2}}", POW, f"{args[0].p(ATOM)}**2", POW)
        return mul(*args)
    if name == "/":
        a, b = args
        return Expr(rf"\frac{{{a.tex}}}{{{b.tex}}}", ATOM, f"{a.p(PROD)}/{b.p(POW)}", PROD)
    if name == "**":
        a, b = args
        return Expr(f"{a.t(ATOM)}^{{{b.tex}}}", POW, f"{a.p(ATOM)}**{b.p(ATOM)}", POW)
    if name == "neg":
        return neg(args[0])
    if name == "abs":
        return atom(f"|{args[0].tex}|", f"abs({args[0].text})")
    if name == "sqrt":
        return atom(rf"\sqrt{{{args[0].tex}}}", f"sqrt({args[0].text})")
    if name == "log1p":
        return atom(rf"\log(1 + {args[0].tex})", f"log1p({args[0].text})")
    if name == "@":
        a, b = args
        return Expr(f"{a.t(MATMUL)} {b.t(POW)}", MATMUL, f"{a.p(MATMUL)} @ {b.p(POW)}", MATMUL)
    if name == "transpose":
        return Expr(rf"{args[0].t(ATOM)}^\top", POW, f"{args[0].p(ATOM)}.T", ATOM)
    if name in ("linear", "linear+relu"):
        x, w = args[:2]
        expr = Expr(f"{w.t(MATMUL)} {x.t(POW)}", MATMUL, f"{w.p(MATMUL)} @ {x.p(POW)}", MATMUL)
        expr = plus([expr, args[2]]) if len(args) > 2 else expr
        return call(*FUNCS["ReLU"], [expr]) if name == "linear+relu" else expr
    if name == "[]":  # a[index]
        shown = _index_text(getattr(fn, "index", None))
        return Expr(f"{args[0].t(ATOM)}[{tt(shown)}]", ATOM, f"{args[0].p(ATOM)}[{shown}]", ATOM)
    if name.startswith("astype("):  # a cast changes the precision, not the function
        return args[0]
    if name == "cross_entropy":
        return call(r"\operatorname{CE}", "cross_entropy", [*args, atom("y", "y")])
    if name in FUNCS:
        return call(*FUNCS[name], args)
    base, _, params = name.partition("(")  # mean(axis=1), clip(0, 1), ...
    tex = rf"\operatorname{{{tt(base)}}}"
    if params:
        tex += rf"_{{\text{{{tt(params.rstrip(')'))}}}}}"
    text_args = [a.text for a in args] + ([params.rstrip(")")] if params else [])
    return atom(f"{tex}({', '.join(a.tex for a in args)})", f"{base}({', '.join(text_args)})")


def _index_text(index: Any) -> str:
    """``0``, ``1:3``, ``:, 0``: an index as written in Python (an array index as ``...``)."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for part in parts:
        if isinstance(part, slice):
            ends = [("" if e is None else str(e)) for e in (part.start, part.stop, part.step)]
            out.append(":".join(ends[:2]) + (f":{ends[2]}" if ends[2] else ""))
        elif isinstance(part, (int, np.integer)):
            out.append(str(part))
        elif part is None:
            out.append("None")
        else:
            out.append("...")
    return ", ".join(out)


def square_base(node: Node) -> tuple:
    """``(a,)`` for a node ``a * a`` (one node twice), else ``()``."""
    parts = node._parents
    if node.op == "*" and len(parts) == 2 and parts[0] is parts[1]:
        return parts[:1]
    return ()


def call(tex_fn: str, text_fn: str, args: list[Expr]) -> Expr:
    return atom(f"{tex_fn}({', '.join(a.tex for a in args)})",
                 f"{text_fn}({', '.join(a.text for a in args)})")


def plus(terms: list[Expr]) -> Expr:
    """``a + b + ...``: a term that is negated already reads ``a - b``."""
    tex, text = terms[0].tex, terms[0].text
    for term in terms[1:]:
        if term.tex.startswith("-") and term.tex_prec == PROD:  # neg's result
            tex, text = f"{tex} - {term.tex[1:]}", f"{text} - {term.text[1:]}"
        else:
            tex, text = f"{tex} + {term.t(PROD if term.tex.startswith('-') else SUM)}", \
                f"{text} + {term.p(PROD if term.text.startswith('-') else SUM)}"
    return Expr(tex, SUM, text, SUM)


def neg(a: Expr) -> Expr:
    return Expr(f"-{a.t(PROD)}", PROD, f"-{a.p(PROD)}", PROD)


def mul(a: Expr, b: Expr) -> Expr:
    """``a b`` in TeX (``a \\cdot 2`` before a number), ``a*b`` as text."""
    left, right = a.t(PROD), b.t(PROD)
    if right.startswith("-"):
        right = f"({b.tex})"
    join = r" \cdot " if right[:1].isdigit() or right.startswith("\\dots") else " "
    tex = f"{left}{join}{right}"
    if a.tex.startswith("-") and a.tex_prec == PROD:  # -a * b reads (-a) b
        tex = f"({a.tex}){join}{right}"
    text_right = b.p(PROD) if not b.text.startswith("-") else f"({b.text})"
    return Expr(tex, PROD, f"{a.p(PROD)}*{text_right}", PROD)


def tex_name(name: str) -> str:
    """A name in TeX: ``w1`` is ``w_{1}``, ``alpha`` is ``\\alpha``, ``tanh#3`` is
    ``\\mathrm{tanh}_{3}``, ``L1.N3.w1`` is ``w_{1}^{\\mathrm{L1.N3}}``, ``y_hat`` is
    ``\\hat{y}``; any other name is set upright."""
    head, dot, last = name.rpartition(".")
    if dot and head and re.fullmatch(r"[A-Za-z]+_?\d*", last):
        return f"{tex_name(last)}^{{\\mathrm{{{tt(head)}}}}}"
    generated = re.fullmatch(r"([A-Za-z][A-Za-z_]*)#(\d+)", name)  # linear_relu#2
    if generated and "_" in generated[1]:
        return rf"\mathrm{{{tt(generated[1])}}}_{{{generated[2]}}}"
    match = re.fullmatch(r"([A-Za-z]+)(?:_?(\d+)|#(\d+))?", name)
    if match is None:
        hat = re.fullmatch(r"([A-Za-z])_?hat", name)
        return rf"\hat{{{hat[1]}}}" if hat else rf"\mathrm{{{tt(name)}}}"
    word, sub = match[1], match[2] or match[3]
    if len(word) == 1:
        tex = word
    elif word in GREEK:
        tex = "\\" + word
    else:
        tex = rf"\mathrm{{{word}}}"
    return f"{tex}_{{{sub}}}" if sub else tex


def generated_name(name: str) -> str:
    """A generated name (``op#k``, from :func:`node_names`) as one word: the op's parameters
    and operator characters left out (``dot+b#1`` is ``dot_b#1``, ``mean(axis=1)#2`` is
    ``mean#2``), so that it cannot be read as an expression."""
    base, hash_, number = name.rpartition("#")
    if not hash_:
        return name
    base = re.sub(r"\W+", "_", base.split("(")[0]).strip("_") or "node"
    return f"{base}#{number}"


def tt(text: str) -> str:
    """Escape TeX's special characters in ``text``."""
    out = []
    for ch in text:
        if ch in "#$%&_{}":
            out.append("\\" + ch)
        elif ch in "\\^~":
            out.append({"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}[ch])
        else:
            out.append(ch)
    return "".join(out)
