"""Demo networks: a dozen skill and territorial networks with members, posts, replies, and
connections between demo members. Idempotent (a network whose name exists is skipped; a pair
already connected is left alone). Plain functions taking a session; the caller commits."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.demo import DEMO_DOMAIN
from app.networks.service import create_network
from models import (
    Comment,
    Connection,
    ConnectionStatus,
    MemberRole,
    Membership,
    MemberStatus,
    Message,
    Network,
    Post,
    Profile,
    Skill,
    User,
)
from models.textkey import skill_key
from models.types import utcnow

CHARTER = """1. On se présente en arrivant : qui on est, ce qu'on fait, où on est.
2. Bienveillance et entraide : pas de démarchage agressif, pas de publicité non sollicitée.
3. Ce qui se dit dans le réseau y reste, sauf accord de la personne.
4. Les animateur·rices peuvent masquer un message qui ne respecte pas la charte."""

# (name, description, skills, scope, scope code, visibility)
NETWORKS = [
    ("Artisans du bois de l'Aveyron", "Menuisiers, ébénistes et charpentiers : chantiers partagés, "
     "achats groupés de bois local, prêt de machines.", ["Menuiserie", "Ébénisterie", "Charpente"],
     "territory", "", "open"),
    ("Numérique en Ségala", "Développeurs, graphistes et médiateurs numériques du Ségala : "
     "**entraide technique** et réponses groupées aux appels d'offres.",
     ["Développement web", "Graphisme", "Médiation numérique"], "territory", "", "open"),
    ("Créatifs du Grand Rodez", "Photographes, illustratrices, musiciens : expositions, "
     "résidences et lieux de travail à partager.", ["Photographie", "Illustration", "Musique"],
     "commune", "12202", "open"),
    ("Maraîchage et circuits courts", "Producteurs et productrices en vente directe : "
     "marchés, AMAP, logistique partagée.", ["Maraîchage bio", "Circuits courts", "Apiculture"],
     "territory", "", "open"),
    ("Tiers-lieu de Millau : les futurs usagers", "Celles et ceux qui veulent un espace de "
     "travail partagé à Millau : **choisissons ensemble** le nom, les horaires et les tarifs.",
     ["Gestion de tiers-lieu", "Facilitation"], "commune", "12145", "request"),
    ("Indépendants de Lozère", "Le réseau des indépendants de Lozère, de Mende à Marvejols.",
     [], "territory", "", "open"),
    ("Comptables et conseils", "Échanges de pratiques entre comptables, juristes et conseils "
     "indépendants.", ["Comptabilité", "Droit des associations", "Gestion de projet"],
     "territory", "", "request"),
    ("Rénovation énergétique", "Artisans RGE et conseillers : chantiers groupés, formations, "
     "aides à la rénovation.", ["Rénovation énergétique", "Électricité", "Plomberie"],
     "territory", "", "open"),
    ("Tourisme rural et accueil", "Chambres d'hôtes, guides et accompagnateurs : calendrier "
     "commun et entraide en saison.", ["Tourisme rural", "Guide de randonnée", "Chambres d'hôtes"],
     "territory", "", "open"),
    ("Formateurs et facilitateurs", "Formation, animation d'ateliers et éducation populaire.",
     ["Formation", "Animation d'ateliers", "Éducation populaire"], "territory", "", "open"),
    ("Bureau des animateurs de tiers-lieux", "Le cercle privé des animateurs et animatrices "
     "de tiers-lieux du territoire.", ["Gestion de tiers-lieu"], "territory", "", "private"),
    ("Villefranche-de-Rouergue entreprend", "Les indépendants et petites entreprises du bassin "
     "de Villefranche.", [], "commune", "12300", "open"),
]
POSTS = [
    "Bonjour à toutes et à tous ! Je m'installe dans le coin et je serais ravi{e} d'échanger "
    "avec vous autour d'un café.",
    "Quelqu'un aurait-il un bon plan pour un local partagé, deux jours par semaine ?",
    "**Achat groupé** : on commande ensemble en fin de mois, qui est partant ?",
    "Retour sur la rencontre de jeudi : merci à toutes les personnes présentes ! Prochaine "
    "rencontre le mois prochain, même endroit.",
    "Je cherche un ou une partenaire pour répondre à un appel d'offres de la communauté de "
    "communes. Écrivez-moi !",
    "Petite annonce : je prête ma camionnette le week-end à qui en a besoin.",
    "Des idées pour mutualiser une connexion fibre entre plusieurs indépendants ?",
    "La chambre de commerce organise un atelier sur la facturation électronique, "
    "voici le [programme](https://www.aveyron.cci.fr/).",
]
REPLIES = ["Partant !", "Merci pour l'info.", "Je suis intéressée, on s'appelle ?",
           "Bonne idée, je relaie.", "Pareil de mon côté, je cherche aussi.",
           "Bienvenue dans le réseau !"]


def create_demo_networks(session, seed: int = 5) -> dict:
    rng = random.Random(seed)
    users = session.scalars(select(User).where(User.email.like(f"%@{DEMO_DOMAIN}"))
                            .options(selectinload(User.profile).selectinload(Profile.skills),
                                     selectinload(User.profile).selectinload(Profile.commune))
                            .order_by(User.id)).all()
    if len(users) < 20:
        return {"networks": 0, "posts": 0, "connections": 0}
    existing = set(session.scalars(select(Network.name)))
    now = utcnow()
    made = posts = 0
    for i, (name, description, skill_names, scope, code, visibility) in enumerate(NETWORKS):
        if name in existing:
            continue
        keys = {skill_key(s) for s in skill_names}
        near = [u for u in users if u.profile.commune and (
            (scope == "commune" and u.profile.commune.insee == code)
            or (name.endswith("Lozère") and u.profile.commune.departement == "48"))]
        skilled = [u for u in users if keys & {skill_key(s.name) for s in u.profile.skills}]
        pool = list(dict.fromkeys(skilled + near)) or users
        creator = pool[rng.randrange(len(pool))]
        network = create_network(session, creator, CHARTER, name=name, description=description,
                                 scope=scope, scope_code=code, visibility=visibility)
        network.skills = Skill.get_or_create(session, skill_names)
        network.created_at = now - timedelta(days=90 - i)
        others = [u for u in pool if u.id != creator.id]
        rng.shuffle(others)
        members = others[: min(len(others), rng.randint(6, 25))]
        for n, user in enumerate(members):
            pending = visibility == "request" and n >= len(members) - 2
            session.add(Membership(
                network_id=network.id, user_id=user.id,
                role=MemberRole.ANIMATOR if n == 0 else MemberRole.MEMBER,
                status=MemberStatus.REQUESTED if pending else MemberStatus.ACTIVE,
                accepted_charter_version=0 if pending else network.charter_version,
                message="Bonjour, je souhaite rejoindre le réseau." if pending else "",
                joined_at=None if pending else now - timedelta(days=rng.randint(1, 80))))
        session.flush()
        network.member_count = 1 + sum(1 for n, _ in enumerate(members)
                                       if not (visibility == "request" and n >= len(members) - 2))
        writers = [creator] + members[:-2]
        for k in range(rng.randint(4, 9)):
            author = writers[rng.randrange(len(writers))]
            feminine = rng.random() < 0.5
            post = Post(network_id=network.id, author_id=author.id,
                        body=POSTS[rng.randrange(len(POSTS))].replace("{e}", "e" if feminine else ""),
                        pinned=k == 0 and rng.random() < 0.4,
                        created_at=now - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23)))
            session.add(post)
            session.flush()
            for _ in range(rng.randint(0, 4)):
                replier = writers[rng.randrange(len(writers))]
                session.add(Comment(post_id=post.id, author_id=replier.id,
                                    body=REPLIES[rng.randrange(len(REPLIES))],
                                    created_at=post.created_at + timedelta(hours=rng.randint(1, 48))))
                post.comment_count += 1
            posts += 1
        _demo_chat(session, network, writers, rng, now)
        if made == 0 and len(writers) > 2:
            _demo_report(session, network, writers, now)
        made += 1
    connections = _demo_connections(session, users, rng)
    session.flush()
    return {"networks": made, "posts": posts, "connections": connections}


def _demo_report(session, network: Network, writers: list[User], now) -> None:
    """One advert posted in the first network and reported, so the moderation queue of
    `make run` has something in it."""
    from models import Report, ReportReason, TargetKind
    post = Post(network_id=network.id, author_id=writers[-1].id,
                body="PROMO ! Panneaux solaires à -70 %, écrivez-moi vite en privé.",
                created_at=now - timedelta(hours=5))
    session.add(post)
    session.flush()
    session.add(Report(reporter_id=writers[1].id, target_kind=TargetKind.POST, target_id=post.id,
                       network_id=network.id, reason=ReportReason.SPAM, excerpt=post.body,
                       note="Publicité, rien à voir avec le réseau.",
                       created_at=now - timedelta(hours=2)))


CHAT_LINES = [
    "Bonjour à tous, qui passe à l’atelier jeudi ?",
    "Moi, vers 10 h. Je peux covoiturer depuis Rignac.",
    "Quelqu’un a un **vidéoprojecteur** à prêter pour samedi ?",
    "Oui, je l’apporte. Pensez au café !",
    "Le compte rendu de la réunion est sur le réseau, *merci* à toutes et tous.",
    "Super, merci. On fixe la prochaine date ?",
    "Je propose le 12, au tiers-lieu de Marcillac.",
]


def _demo_chat(session, network: Network, writers: list[User], rng: random.Random, now) -> None:
    """A few lines in the network's live chat, so `make run` shows a conversation."""
    from app.chat.messages import render
    from app.chat.rooms import network_room
    room = network_room(session, network)
    start = now - timedelta(hours=rng.randint(3, 48))
    for k in range(rng.randint(3, len(CHAT_LINES))):
        author = writers[rng.randrange(len(writers))]
        session.add(Message(room_id=room.id, author_id=author.id, client_id=f"demo-{room.id}-{k}",
                            body=CHAT_LINES[k], body_html=render(CHAT_LINES[k]),
                            created_at=start + timedelta(minutes=7 * k)))


def _demo_connections(session, users: list[User], rng: random.Random) -> int:
    """Neighbours with a skill in common connect; a few requests stay pending."""
    existing = set(session.execute(select(Connection.low_id, Connection.high_id)).all())
    if existing:
        return 0  # made by an earlier run (or by people): a rerun adds nothing
    by_commune: dict[str, list[User]] = {}
    for u in users:
        if u.profile.commune:
            by_commune.setdefault(u.profile.commune.insee, []).append(u)
    made = 0
    communes = sorted(by_commune)
    for insee in communes:
        group = by_commune[insee][:30]  # bounded, even with --profiles 100000
        for a in group:
            for b in group:
                if a.id >= b.id or (a.id, b.id) in existing or rng.random() > 0.35:
                    continue
                pending = rng.random() < 0.2
                requester = a if rng.random() < 0.5 else b
                session.add(Connection(
                    low_id=a.id, high_id=b.id, requester_id=requester.id,
                    status=ConnectionStatus.PENDING if pending else ConnectionStatus.ACCEPTED,
                    message="Bonjour, voisins de commune : on se rencontre ?"))
                existing.add((a.id, b.id))
                made += 1
    return made
