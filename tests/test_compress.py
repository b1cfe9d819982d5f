"""Light pages: gzip when the browser accepts it, fingerprinted static files cached for a year."""
import gzip
import re

from tests.helpers.apps import login_as


def test_pages_are_compressed_when_accepted(client):
    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    packed = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    # The same page, but for its CSRF token, signed with the second it was made in (two
    # requests can fall on either side of a second).
    token = re.compile(rb'(name="csrf-token" content=")[^"]+')
    assert token.sub(rb"\1", gzip.decompress(packed.data)) == token.sub(rb"\1", plain.data)
    assert token.search(plain.data)
    assert len(packed.data) < len(plain.data) / 2


def test_static_files_are_fingerprinted_compressed_and_cached_long(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/maillage\.css\?v=[0-9a-f]{12})"', html)
    assert css, "the stylesheet link carries its content hash"
    response = client.get(css.group(1), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    assert b"body" in gzip.decompress(response.data)
    # Without the version (an old link), no long cache.
    bare = client.get("/static/css/maillage.css", headers={"Accept-Encoding": "gzip"})
    assert "immutable" not in bare.headers.get("Cache-Control", "")


def test_small_json_and_logged_in_pages(client, make_user):
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers  # too small to be worth it
    user = make_user("a@example.org")
    login_as(client, user)
    page = client.get("/people/me/edit", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert b"csrf_token" in gzip.decompress(page.data)


def test_a_compressed_static_file_is_revalidated_with_304(client):
    first = client.get("/static/css/maillage.css", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    assert etag.endswith('-gz"')
    again = client.get("/static/css/maillage.css", headers={"Accept-Encoding": "gzip",
                                                            "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
