"""Full-text search (Whoosh) over profiles, networks, places and posts.

The index, its French analyzer and the DB->index sync land with the search issue. Until then
the directory filters with SQL (app/people/queries.py).
"""
