"""The shapes of API v1's answers and bodies, as pydantic models: app/api/openapi.py writes the
OpenAPI description from them, the write routes validate their bodies with them, and with
API_CHECK_RESPONSES on (the tests) every answer is checked against its model before it leaves,
so the description cannot drift from what the code sends."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Shape(BaseModel):
    # An answer may gain fields (additive changes keep v1); a field named here is always there.
    model_config = ConfigDict(extra="allow")


class Error(Shape):
    """Every error: `detail` is translated (Accept-Language, the member's language)."""
    error: str | dict[str, Any]
    detail: str | None = None
    status: int


class CodeName(Shape):
    code: str
    name: str


class IdName(Shape):
    id: int
    name: str


class Commune(Shape):
    code: str
    name: str
    postcodes: list[str]
    population: int
    departement: str
    epci: CodeName | None
    lat: float
    lon: float


class Communes(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    items: list[Commune]
    count: int


class Profile(Shape):
    id: int
    display_name: str
    kind: str | None
    headline: str | None
    bio: str | None
    commune: Commune | None
    skills: list[str]
    offers: str | None
    needs: str | None
    website: str | None
    visibility: str
    updated_at: str | None


class Profiles(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    items: list[Profile]
    page: int
    pages: int
    total: int
    per_page: int


class Naf(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    items: list[dict[str, str]]


class Skill(Shape):
    id: int
    name: str
    name_en: str | None
    canonical: bool
    synonyms: list[str]
    profiles: int
    networks: int


class Skills(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    total: int
    items: list[Skill]


class NetworkScope(Shape):
    kind: str
    code: str | None
    label: str


class Network(Shape):
    id: int
    name: str
    visibility: str
    scope: NetworkScope
    skills: list[str]
    member_count: int
    url: str


class NetworkViewer(Shape):
    status: str | None
    animator: bool
    can_read: bool
    can_post: bool


class NetworkFull(Network):
    description: str | None
    description_html: str
    charter: dict[str, Any] | None
    viewer: NetworkViewer


class Networks(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    total: int
    page: int
    per_page: int
    items: list[Network]


class Post(Shape):
    id: int
    author: str | None
    body: str
    body_html: str
    hidden: bool
    pinned: bool
    created_at: str
    comment_count: int
    edited_at: str | None


class Posts(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    items: list[Post]
    next_before: int | None


class Place(Shape):
    id: int
    name: str
    status: str
    commune: dict[str, Any]
    capacity_desks: int | None
    surface_m2: int | None
    equipment: list[str] | None
    free_first_month: bool | None
    plans: list[dict[str, Any]]
    interested: int
    kind: str | None
    website: str | None
    source: dict[str, Any] | None
    url: str


class Places(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    total: int
    page: int
    per_page: int
    items: list[Place]


class Event(Shape):
    id: int
    title: str
    kind: str
    audience: str
    url: str
    ics: str
    cancelled: bool


class EventOccurrence(Event):
    start: str
    end: str
    moved: bool


class EventFull(Event):
    description: str | None
    starts_at: str
    ends_at: str
    occurrences: list[dict[str, Any]]


class Events(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    total: int
    items: list[EventOccurrence]


class SearchCorrection(Shape):
    mode: str  # "replaced": results for `corrected` first; "blended": below the exact ones;
    # "suggested": only offered
    corrected: str
    typed: str


class SearchPlace(Shape):
    label: str
    communes: int
    origin: str | None
    within_km: float | None
    from_: str | None = Field(None, alias="from")


class Search(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    total: int
    total_is_exact: bool
    page: int
    fuzzy: bool
    correction: SearchCorrection | None  # a typo corrected or offered
    place: SearchPlace | None  # the place read from the query or the commune field
    place_messages: list[str]  # what is said about it (unknown, ambiguous)
    results: list[dict[str, Any]]
    facets: dict[str, dict[str, int]]


class Room(Shape):
    id: int
    kind: str
    title: str
    unread: int
    url: str
    last_at: str | None


class Rooms(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    total: int
    items: list[Room]


class Message(Shape):
    id: int
    seq: int
    room: int
    author: dict[str, Any]
    body: str
    body_html: str
    created_at: str | None
    deleted: bool


class Messages(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    room: int
    items: list[Message]
    next_before: int | None


class DemandClusters(Shape):
    k: int
    occupancy: float
    co2_kg_per_km: float
    total: int
    sites: list[dict[str, Any]]


class ModerationResult(Shape):
    ok: bool


class ModerationReports(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    items: list[dict[str, Any]]


class AuditEntries(Shape):
    next: str | None  # the cursor of the next page (`?cursor=`), null on the last
    items: list[dict[str, Any]]
    next_before: int | None


class ModerationAction(BaseModel):
    """The body of POST /moderation/actions (the socket's `moderate` event takes the same)."""
    action: str = Field(max_length=40)
    kind: str = Field(max_length=40)
    target: int | str
    reason: str | None = Field(default=None, max_length=2000)
    minutes: int | str | None = None
    network: int | str | None = None


class Body(BaseModel):
    """A write's JSON body: unknown fields refused (a misspelt field is an error, not ignored)."""
    model_config = ConfigDict(extra="forbid")


class ProfileChange(Body):
    """PATCH /me/profile: the fields to change (the others keep their value); the same rules as
    the profile page's form."""
    display_name: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=40)
    headline: str | None = Field(default=None, max_length=400)
    commune: str | None = Field(default=None, max_length=400)
    skills: str | None = Field(default=None, max_length=4000)
    bio: str | None = Field(default=None, max_length=20000)
    offers: str | None = Field(default=None, max_length=4000)
    needs: str | None = Field(default=None, max_length=4000)
    website: str | None = Field(default=None, max_length=600)
    visibility: str | None = Field(default=None, max_length=40)
    direct_messages: str | None = Field(default=None, max_length=40)


class PostBody(Body):
    """A post or a reply: Markdown, the same rules as the network page's form."""
    body: str = Field(max_length=20000)


class Comment(Shape):
    id: int
    post: int
    author: str | None
    body: str
    created_at: str


class Registration(Shape):
    event: int
    status: str  # "registered", or "waiting" (the event is full: the waiting list)


class InterestChange(Body):
    """PUT /me/interest: my coworking interest, the fields of the declaration page's form (the
    same rules and messages); numbers as a person types them ("2,5")."""
    track: str = Field(max_length=20)  # "independent" or "company"
    for_company: bool = False  # an organisation's declaration beside its own (organisations)
    home_commune: str = Field(max_length=400)
    days_per_week: str = Field(max_length=40)
    formula: str = Field(max_length=40)
    budget_eur_month: str = Field(max_length=40)
    horizon: str | None = Field(default=None, max_length=40)
    activity: str | None = Field(default=None, max_length=400)
    dynamics: str | None = Field(default=None, max_length=10000)
    company_name: str | None = Field(default=None, max_length=400)
    siret: str | None = Field(default=None, max_length=60)
    naf: str | None = Field(default=None, max_length=400)
    headcount: str | None = Field(default=None, max_length=40)
    telework: str | None = Field(default=None, max_length=40)
    acceptable_communes: str | None = Field(default=None, max_length=4000)
    max_distance_km: str | None = Field(default=None, max_length=40)
    days_per_quarter: str | None = Field(default=None, max_length=40)
    equipment: list[str] = Field(default_factory=list, max_length=30)
    services: list[str] = Field(default_factory=list, max_length=30)
    governance: list[str] = Field(default_factory=list, max_length=30)
    free_first_month: bool = False
    commute_km: str | None = Field(default=None, max_length=40)
    commute_minutes: str | None = Field(default=None, max_length=40)
    commute_days_per_week: str | None = Field(default=None, max_length=40)


class Interest(Shape):
    id: int
    version: int
    track: str
    home_commune: str
    days_per_week: float
    active: bool


class MessageBody(Body):
    """A chat message, as the `/chat` socket's `send` takes it: `client_id` is its idempotency
    key (the same one sent again stores nothing new and answers the stored message)."""
    body: str = Field(max_length=8000)
    client_id: str = Field(min_length=1, max_length=64)
