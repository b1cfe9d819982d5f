"""The member's home: a feed of what is new around them (`queries.feed`), the requests waiting
for their answer, and the first steps of a new account (`onboarding.steps`). Visitors keep the
brochure (app/main/views.py)."""
