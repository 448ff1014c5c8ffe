import pytest

from training.baselines import (
    BASELINES_HTML,
    BASELINES_TEXT,
    c4_line,
    c4_rules,
    justext_html,
    justext_text,
    no_cleaning,
    trafilatura_html,
)

PARAGRAPH = (
    "The committee approved the new budget on Tuesday after a long debate that lasted "
    "for most of the afternoon. Members of the opposition said that the plan would not "
    "be enough to cover the costs of the new hospital, and they asked for a second vote "
    "in the spring."
)
SECOND = (
    "The mayor said the city would publish the full figures next week, and that the "
    "money for schools, roads and the new library had been kept at last year's level "
    "despite the rising cost of energy and construction."
)

PAGE = f"""<!DOCTYPE html>
<html><head><title>Budget approved</title><script>var tracking = {{id: 1}};</script></head>
<body>
<header><nav><ul>
  <li><a href="/">Home</a></li><li><a href="/news">News</a></li>
  <li><a href="/sport">Sport</a></li><li><a href="/contact">Contact</a></li>
</ul></nav></header>
<main><article>
  <h1>Budget approved after long debate</h1>
  <p>{PARAGRAPH}</p>
  <p>{SECOND}</p>
</article></main>
<footer>
  <p><a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a></p>
  <p>Copyright 2024 Example News Ltd. All rights reserved.</p>
</footer>
</body></html>"""


# ------------------------------------------------------------------ c4


def test_c4_drops_short_and_menu_lines_keeps_sentence():
    text = "\n".join(["Home | News | Sport", "Share", PARAGRAPH, "Read more...", "Follow us"])
    assert c4_rules(text) == PARAGRAPH


def test_c4_line_rules():
    assert c4_line("Share") is None  # no terminal punctuation, one word
    assert c4_line("Home | News") is None
    assert c4_line("Really, truly.") is None  # two words
    assert c4_line("This has three.") == "This has three."
    assert c4_line("He said it was fine") is None  # ends in a letter
    assert c4_line('He said "this is it"') == 'He said "this is it"'  # a closing quote counts
    assert c4_line("He said 'this is it'") == "He said 'this is it'"  # datatrove adds '
    assert c4_line("Where did it go?") == "Where did it go?"
    assert c4_line("And then it went on...") is None  # ellipsis
    assert c4_line("Please enable JavaScript to view comments.") is None
    assert c4_line("By using this site you accept our Privacy Policy.") is None
    assert c4_line("This website uses cookies for analytics.") is None
    assert c4_line("The value is {x} in this case.") is None
    assert c4_line("It was founded in 1901.[3]") == "It was founded in 1901."  # citation removed
    assert c4_line("It was founded [citation needed]") is None
    assert c4_line("  Padded line with words.  ") == "Padded line with words."
    assert c4_line("a " + "x" * 1001 + " long word.") is None


def test_c4_document_rules():
    text = f"{PARAGRAPH}\nLorem ipsum dolor sit amet, consectetur adipiscing elit."
    assert c4_rules(text) == text  # line-level only: lorem ipsum passes
    assert c4_rules(text, document_rules=True) == ""
    # a bracket only condemns the page in a line that passed the other rules
    assert c4_rules(f"{PARAGRAPH}\nvar x = {{a: 1}};", document_rules=True) == PARAGRAPH
    assert c4_rules(f"{PARAGRAPH}\nthe set {{a, b}} is small.", document_rules=True) == ""


# ------------------------------------------------------------------ justext


def test_justext_text_keeps_paragraph_drops_menu():
    text = f"Home | News | Sport | Contact\n\n{PARAGRAPH}\n{SECOND}\nShare on Facebook\n"
    out = justext_text(text)
    assert out.splitlines() == [PARAGRAPH, SECOND]


def test_justext_text_escapes_markup_in_lines():
    text = f"{PARAGRAPH} Use a <b> tag & friends.\n<script>alert(1)</script>"
    assert justext_text(text) == f"{PARAGRAPH} Use a <b> tag & friends."


def test_justext_text_language_codes():
    german = (
        "Der Ausschuss hat am Dienstag nach einer langen Debatte den neuen Haushalt "
        "beschlossen, und die Opposition hat dagegen gestimmt, weil sie die Kosten für das "
        "neue Krankenhaus für zu hoch hält und eine zweite Abstimmung im Frühjahr verlangt."
    )
    assert justext_text(german, lang="de") == german
    assert justext_text(german, lang="de-DE") == german
    assert justext_text(german, lang="en") == ""  # no English stopwords -> boilerplate


def test_justext_text_language_independent_mode_for_chinese():
    body = "今天的天气非常好，我们一起去公园散步吧。" * 12
    text = f"首页 | 新闻 | 体育\n{body}"
    assert justext_text(text, lang="zh") == body
    assert justext_text(text, lang="en") == ""  # an English stoplist finds nothing


def test_justext_html_on_page():
    out = justext_html(PAGE)
    assert PARAGRAPH in out
    assert "Home" not in out and "Privacy policy" not in out and "Copyright" not in out


# ------------------------------------------------------------------ trafilatura


def test_trafilatura_html_extracts_article():
    out = trafilatura_html(PAGE)
    assert PARAGRAPH in out
    assert SECOND in out
    for noise in ("Contact", "Privacy policy", "Copyright 2024", "tracking"):
        assert noise not in out


# ------------------------------------------------------------------ robustness


ODD = ["", "   \n\n\t", "\x00\x01", "<<<>>>", "<html><body></body></html>", "\udcff\udcfe abc", "</p></div>&&&;"]


@pytest.mark.parametrize("name", sorted(BASELINES_TEXT))
def test_text_baselines_never_raise(name):
    fn = BASELINES_TEXT[name]
    assert fn("") == ""
    for text in ODD:
        assert isinstance(fn(text), str)


@pytest.mark.parametrize("name", sorted(BASELINES_HTML))
def test_html_baselines_never_raise(name):
    fn = BASELINES_HTML[name]
    for html in ODD:
        assert fn(html) == ""
    assert fn(None) == ""


def test_empty_inputs_give_empty_string():
    for fn in (no_cleaning, justext_text, c4_rules, justext_html, trafilatura_html):
        assert fn("") == ""


def test_no_cleaning_is_identity():
    text = "Home\r\nShare\n\nBody text.\n"
    assert no_cleaning(text) == text
