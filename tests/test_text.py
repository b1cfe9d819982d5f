"""The one Markdown function: safe, correct, and never slow on hostile text."""
from app.text import render_markdown


def test_code_is_escaped_once():
    assert str(render_markdown("`<b>x</b>`")) == "<p><code>&lt;b&gt;x&lt;/b&gt;</code></p>"


def test_links_are_marked_and_dangerous_ones_lose_their_target():
    html = str(render_markdown("[a](https://a.example) [b](javascript:alert(1)) https://c.fr"))
    assert html.count('rel="nofollow noopener"') == 3
    assert "javascript" not in html and 'href="https://c.fr"' in html


def test_text_full_of_unclosed_brackets_is_shown_as_plain_text():
    """Python-Markdown scans the rest of the text for every unclosed bracket: 10,000 of them
    took 14 s. Such text is shown as plain paragraphs instead (and stays escaped)."""
    for hostile in ("[" * 10_000, "![" * 5_000, "[a](" * 2_500, "<a " * 3_000):
        html = str(render_markdown(hostile + "\n\n<script>x</script>"))
        assert html.startswith("<p>") and "<script>" not in html and "&lt;script&gt;" in html


def test_ordinary_text_with_a_few_brackets_is_still_markdown():
    html = str(render_markdown("Prix [à partir de 20 €] (négociable) **gras** [site](https://s.example)"))
    assert "<strong>gras</strong>" in html and 'href="https://s.example"' in html


def test_chat_text_without_markup_takes_the_fast_path_with_the_same_html():
    """render_markdown(lite=True) skips the parser and the sanitiser for plain chat text; on
    20,000 random plain texts it must give exactly what the full path gives."""
    import random

    from app import text
    alphabets = ["abcdeé ÉàZ09.,;!?'’\"«»()%€$°/-\n\n  ", "192.168.0.1 1,5 v1.2 a1.b2 \n"]
    rng = random.Random(1)
    fast = 0
    for i in range(20000):
        alphabet = alphabets[i % 2]
        source = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        plain = text._lite_plain(source)
        if plain is None:
            continue
        fast += 1
        assert plain == str(text._lite_cleaner.clean(text._lite_markdown(source))), repr(source)
    assert fast > 5000
    assert text._lite_plain("voir maillage.fr") is None  # linkify's business
    assert text._lite_plain("**gras**") is None
    assert str(text.render_markdown("Salut à tous,\n\ndemain 9h ?", lite=True)) == \
        "<p>Salut à tous,</p>\n<p>demain 9h ?</p>"
